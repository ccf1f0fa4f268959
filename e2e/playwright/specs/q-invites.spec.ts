// Invite links in the group settings: an admin lists the live links, copies one again, revokes
// one (it stops working at once); a member the admin removed cannot come back with an older link.
import { expect, test } from '@playwright/test'
import { apiPost, contextFor, registerApi, screenshotPath, waitConnected } from './helpers'

test('invite links: list, copy again, revoke; a removed member cannot return', async ({ browser, request }) => {
  const [ann, bob, eve] = await Promise.all([
    registerApi(request, 'ann', 'Ann'),
    registerApi(request, 'bob', 'Bob'),
    registerApi(request, 'eve', 'Eve'),
  ])
  const group = await apiPost(request, ann, '/groups', { name: 'Invite club', member_ids: [] })
  const a = await (await contextFor(browser, ann)).newPage()
  await a.goto(`/groups/${group.id}`)
  await waitConnected(a)

  // Two links; both listed, newest first, each with its address to copy again.
  const create = a.getByRole('button', { name: 'Create link' })
  await create.click()
  await expect(a.getByTestId('invite-item')).toHaveCount(1)
  await create.click()
  await expect(a.getByTestId('invite-item')).toHaveCount(2)
  const [newest, oldest] = await a.getByTestId('invite-link').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))
  expect(newest).toMatch(/\/invite\/.+/)
  expect(oldest).not.toBe(newest)
  await expect(a.getByTestId('invite-item').first()).toContainText('not used yet')
  await a.reload()
  await expect(a.getByTestId('invite-link')).toHaveCount(2)
  await expect(a.getByTestId('invite-link').first()).toHaveValue(newest!)

  // Bob joins with the older link; Ann revokes the newest; Eve's try with it is refused.
  const b = await (await contextFor(browser, bob)).newPage()
  await b.goto(new URL(oldest!).pathname)
  await b.getByTestId('accept-invite').click()
  await expect(b.getByTestId('chat-title')).toHaveText('Invite club')
  await a.getByTestId('invite-item').first().getByTestId('revoke-invite').click()
  await expect(a.getByTestId('invite-item')).toHaveCount(1)
  await expect(a.getByTestId('invite-item')).toContainText('used once')
  await a.screenshot({ path: screenshotPath('invite-links.png') })
  const e = await (await contextFor(browser, eve)).newPage()
  await e.goto(new URL(newest!).pathname)
  await e.getByTestId('accept-invite').click()
  await expect(e.getByRole('alert')).toContainText('revoked')

  // Ann removes Bob; the link he kept no longer lets him in.
  a.once('dialog', (d) => void d.accept())
  await a.getByRole('button', { name: `Remove ${bob.username}` }).click()
  await expect(a.getByTestId('group-members').getByRole('listitem')).toHaveCount(1)
  await b.goto(new URL(oldest!).pathname)
  await b.getByTestId('accept-invite').click()
  await expect(b.getByRole('alert')).toContainText('removed you')

  for (const p of [a, b, e]) await p.context().close()
})
