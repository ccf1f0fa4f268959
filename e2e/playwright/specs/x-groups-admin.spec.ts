// Issue 23 items 5 and 6: the owner deletes a group from its settings and a member whose socket
// is on the other ws replica sees it go (sidebar row gone, the open chat says so); an invite
// link revoked in the settings is refused; the admin overview shows the numbers, the chart and
// every node's health.
import { expect, test, type Page } from '@playwright/test'
import { randomUUID } from 'node:crypto'
import { apiPost, contextFor, grantAdmin, loginApi, openOnNode, registerApi, screenshotPath, wsNodes } from './helpers'

test('the owner deletes a group: a member on the other replica sees it go; revoked invites are refused; the admin overview', async ({ browser, request }) => {
  const [ann, ben, eve, ada] = await Promise.all([
    registerApi(request, 'ann', 'Ann'),
    registerApi(request, 'ben', 'Ben'),
    registerApi(request, 'eve', 'Eve'),
    registerApi(request, 'ada', 'Ada'),
  ])
  const group = await apiPost(request, ann, '/groups', { name: 'Doomed club', member_ids: [ben.id] })
  const general: number = group.channels[0].id
  await apiPost(request, ben, `/conversations/${general}/messages`, { client_id: randomUUID(), body: 'see you at the club' })

  // Ann in the group settings, Ben in the chat, their sockets on different replicas.
  const a = await openOnNode(browser, request, ann, `/groups/${group.id}`)
  let b = await openOnNode(browser, request, ben, `/c/${general}`)
  const others: Page[] = []
  for (let i = 0; wsNodes().length > 1 && b.node === a.node && i < 4; i++) {
    others.push(b.page) // keep it open so least_conn sends the next one elsewhere
    b = await openOnNode(browser, request, await loginApi(request, ben.username), `/c/${general}`)
  }
  if (wsNodes().length > 1) expect(b.node, 'Ben is on the other replica').not.toBe(a.node)
  await expect(b.page.getByTestId('message-body').getByText('see you at the club')).toBeVisible()

  // An invite link made and revoked in the settings: Eve's try with it is refused.
  await a.page.getByRole('button', { name: 'Create link' }).click()
  await expect(a.page.getByTestId('invite-item')).toHaveCount(1)
  await expect(a.page.getByTestId('invite-item')).toContainText('not used yet')
  const link = await a.page.getByTestId('invite-link').inputValue()
  await a.page.screenshot({ path: screenshotPath('group-settings.png') })
  await a.page.getByTestId('revoke-invite').click()
  await expect(a.page.getByTestId('invite-item')).toHaveCount(0)
  const e = await (await contextFor(browser, eve)).newPage()
  await e.goto(new URL(link).pathname)
  await e.getByTestId('accept-invite').click()
  await expect(e.getByRole('alert')).toContainText('revoked')

  // Ann deletes the group after a confirmation; Ben's sidebar loses it and his open chat says so.
  await a.page.getByTestId('delete-group').click()
  const dialog = a.page.getByRole('dialog', { name: 'Delete this group?' })
  await expect(dialog).toContainText('Doomed club')
  await dialog.getByTestId('confirm-delete-group').click()
  await expect(a.page).toHaveURL(/\/$/)
  await expect(b.page.getByTestId('group-deleted')).toBeVisible({ timeout: 10_000 })
  await expect(b.page.getByTestId('conversation-list').getByRole('listitem').filter({ hasText: 'Doomed club' })).toHaveCount(0)
  await expect(a.page.getByTestId('conversation-list').getByRole('listitem').filter({ hasText: 'Doomed club' })).toHaveCount(0)
  await b.page.reload()
  await expect(b.page.getByText('This conversation does not exist or you are not a member.')).toBeVisible()

  // Ada, an administrator: the overview counts and every node's health.
  grantAdmin(ada.username)
  const d = await (await contextFor(browser, ada)).newPage()
  await d.goto('/admin')
  await expect(d.getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true')
  const overview = d.getByTestId('admin-overview')
  const users = Number(await overview.getByTestId('stat-users-total').getByTestId('stat-value').textContent())
  expect(users).toBeGreaterThanOrEqual(4)
  await expect(overview.getByTestId('bar')).toHaveCount(30)
  const nodes = overview.getByTestId('node')
  await expect(nodes.filter({ hasText: 'answered this page' })).toHaveCount(1)
  for (const { node } of wsNodes()) {
    const row = overview.locator(`[data-testid=node][data-node="${node}"]`)
    await expect(row).toHaveCount(1)
    await expect(row.getByTestId('node-status')).toHaveText(/ready|degraded/)
    await expect(row).toContainText('ws-server')
  }
  await d.screenshot({ path: screenshotPath('admin-overview.png'), fullPage: true })

  for (const p of [a.page, b.page, e, d, ...others]) await p.context().close()
})
