// Disappearing messages and flood control.
// A: Ann turns on "Disappearing messages" (1 day) in her chat with Ben; both headers say so.
//    Two messages are aged in PostgreSQL (the cluster's sweeper runs every RETENTION_SWEEP_MS,
//    60 s by default) and vanish from both open pages, the newest one stays.
// B: Eve is paused by flood control (the browser-test cluster raises the limits, so the flag is
//    recorded in PostgreSQL): Dan, an administrator, sees it under Flags and in Users; Eve's send
//    from the composer is refused with a plain toast.
import { expect, test, type Page } from '@playwright/test'
import { randomUUID } from 'node:crypto'
import { apiPost, contextFor, grantAdmin, message, registerApi, screenshotPath, sql, waitConnected, type Session } from './helpers'

async function openChat(browser: Parameters<typeof contextFor>[0], s: Session, id: number): Promise<Page> {
  const page = await (await contextFor(browser, s)).newPage()
  await page.goto(`/c/${id}`)
  await waitConnected(page)
  return page
}

test('disappearing messages: set from the chat menu, old messages vanish for both members', async ({ browser, request }) => {
  test.setTimeout(150_000)
  const [ann, ben] = await Promise.all([registerApi(request, 'ann', 'Ann'), registerApi(request, 'ben', 'Ben')])
  const dm = await apiPost(request, ann, '/conversations/direct', { user_id: ben.id })
  const texts = ['the oldest note', 'an old reply', 'the newest word']
  for (const [i, body] of texts.entries()) {
    await apiPost(request, i % 2 ? ben : ann, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body })
  }

  const [a, b] = await Promise.all([openChat(browser, ann, dm.id), openChat(browser, ben, dm.id)])
  for (const p of [a, b]) for (const t of texts) await expect(message(p, t)).toBeVisible()
  for (const p of [a, b]) await expect(p.getByTestId('retention-note')).toHaveCount(0)

  // Ann: chat menu -> Disappearing messages -> 1 day -> Save.
  const header = a.locator('header').filter({ has: a.getByTestId('chat-title') })
  await header.getByRole('button', { name: /^Options for/ }).click()
  await a.getByRole('menuitem', { name: 'Disappearing messages' }).click()
  const dialog = a.getByRole('dialog', { name: 'Disappearing messages' })
  await expect(dialog.getByRole('radio', { name: 'Off' })).toBeChecked()
  for (const label of ['1 day', '7 days', '30 days']) await expect(dialog.getByRole('radio', { name: label })).toBeVisible()
  await dialog.getByRole('radio', { name: '1 day' }).check()
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(dialog).toBeHidden()

  // Both headers say so (Ben's through conversation.updated 'retention').
  for (const p of [a, b]) await expect(p.getByTestId('retention-note')).toHaveText('Messages disappear after 1 day')

  // The first two messages are two days old now; the next sweep deletes them for everyone.
  sql(`UPDATE messages SET created_at = now() - interval '2 days' WHERE conversation_id = ${Number(dm.id)} AND seq <= 2`)
  for (const p of [a, b]) {
    await expect(message(p, texts[0]!)).toHaveCount(0, { timeout: 75_000 })
    await expect(message(p, texts[1]!)).toHaveCount(0)
    await expect(message(p, texts[2]!)).toBeVisible()
  }
  await a.screenshot({ path: screenshotPath('retention.png') })

  // After a reload the server's history starts after them as well.
  await b.reload()
  await waitConnected(b)
  await expect(message(b, texts[2]!)).toBeVisible()
  await expect(message(b, texts[0]!)).toHaveCount(0)
  await expect(b.getByTestId('retention-note')).toHaveText('Messages disappear after 1 day')
})

test('flood control: admins see the flag and the paused user, whose send is refused plainly', async ({ browser, request }) => {
  const [dan, eve] = await Promise.all([registerApi(request, 'dan', 'Dan'), registerApi(request, 'eve', 'Eve')])
  grantAdmin(dan.username)
  const dm = await apiPost(request, eve, '/conversations/direct', { user_id: dan.id })
  const spam = 'buy my wonderful miracle product today'
  for (let i = 0; i < 9; i++) await apiPost(request, eve, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: spam })

  // The runner's cluster raises FLOOD_REPEAT_MAX, so record what flood control would have.
  sql(
    `INSERT INTO abuse_flags (user_id, kind, detail, limited_until) VALUES (${eve.id}, 'repeated_messages', 'the same text 9 times in 10 minutes', now() + interval '15 minutes'); ` +
      `UPDATE users SET send_limited_until = now() + interval '15 minutes' WHERE id = ${eve.id}`,
  )

  // Dan: /admin -> Flags.
  const d = await (await contextFor(browser, dan)).newPage()
  await d.goto('/admin')
  await d.getByRole('tab', { name: 'Flags' }).click()
  await expect(d.getByRole('tab', { name: 'Flags' })).toHaveAttribute('aria-selected', 'true')
  const flag = d.locator(`[data-testid=abuse-flag][data-username="${eve.username}"]`)
  await expect(flag).toHaveCount(1)
  await expect(flag.getByTestId('flag-user')).toHaveText('Eve')
  await expect(flag).toContainText(`@${eve.username}`)
  await expect(flag.getByTestId('flag-kind')).toHaveText('Repeated messages')
  await expect(flag.getByTestId('flag-detail')).toHaveText('the same text 9 times in 10 minutes')
  await expect(flag.getByTestId('flag-limited')).toContainText('paused until')
  await d.screenshot({ path: screenshotPath('flags.png') })

  // Users: Eve carries the badge, Dan does not.
  await d.getByRole('tab', { name: 'Users' }).click()
  await d.getByRole('searchbox', { name: 'Search users' }).fill(eve.username)
  const row = d.locator(`[data-testid=admin-user][data-username="${eve.username}"]`)
  await expect(row.getByTestId('send-limited-badge')).toContainText('sending paused until')
  await d.getByRole('searchbox', { name: 'Search users' }).fill(dan.username)
  await expect(d.locator(`[data-testid=admin-user][data-username="${dan.username}"]`)).toHaveCount(1)
  await expect(d.getByTestId('send-limited-badge')).toHaveCount(0)

  // Eve's send from the composer is refused (429 send_limited): a toast says why.
  const e = await openChat(browser, eve, dm.id)
  const box = e.getByTestId('composer')
  await box.fill('hello again')
  await box.press('Enter')
  await expect(e.getByTestId('toast').filter({ hasText: 'Sending is paused for a while' })).toBeVisible()
  await expect(message(e, 'hello again').getByRole('alert')).toContainText('Sending is paused')
})
