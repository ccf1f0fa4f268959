// Long history: the newest page first, older pages on scroll up, the reading position kept.
import { expect, test } from '@playwright/test'
import { apiPost, contextFor, registerApi, waitConnected } from './helpers'
import { randomUUID } from 'node:crypto'

const TOTAL = 120

test('scrolling up loads older pages and keeps the position', async ({ browser, request }) => {
  const [kim, lee] = await Promise.all([registerApi(request, 'kim', 'Kim'), registerApi(request, 'lee', 'Lee')])
  const dm = await apiPost(request, lee, '/conversations/direct', { user_id: kim.id })
  for (let i = 1; i <= TOTAL; i++) {
    await apiPost(request, lee, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: `history ${i}` })
  }
  const ctx = await contextFor(browser, kim)
  const page = await ctx.newPage()
  await page.goto(`/c/${dm.id}`)
  await waitConnected(page)
  const messages = page.getByTestId('message')
  // The list is windowed: `data-loaded` counts the messages held, the DOM only those near the view.
  const list = page.getByTestId('message-list')
  await expect(list).toHaveAttribute('data-loaded', '50')
  await expect(page.getByTestId('message-body').getByText(`history ${TOTAL}`, { exact: true })).toBeInViewport()

  const scroller = page.getByTestId('message-scroller')
  for (const expected of [100, TOTAL]) {
    const oldest = await list.getAttribute('data-oldest-seq')
    await scroller.evaluate((el) => (el.scrollTop = 0))
    await expect(list).toHaveAttribute('data-loaded', String(expected))
    // The message that was at the top is still on screen: the prepend did not jump the view.
    await expect(page.locator(`[data-testid="message"][data-seq="${oldest}"]`)).toBeInViewport()
  }
  await scroller.evaluate((el) => (el.scrollTop = 0))
  await expect(page.getByText('Beginning of the conversation')).toBeVisible()
  // From the top: the rendered rows are the first messages, in order, without a gap.
  const seqs = await messages.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))))
  expect(seqs.length).toBeGreaterThan(10)
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1))
  // Back at the bottom (reading the newest messages).
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight))
  await expect(page.getByTestId('message-body').getByText(`history ${TOTAL}`, { exact: true })).toBeInViewport()
  // Reading the newest messages cleared the unread badge.
  await expect(page.getByTestId('conversation-list').getByTestId('unread-badge')).toHaveCount(0)

  // The per-chat menu: pin, mute, archive and back.
  const row = page.getByTestId(`conversation-${dm.id}`)
  const menu = async (item: string) => {
    await row.getByRole('button', { name: /Options for/ }).click()
    await page.getByRole('menuitem', { name: item }).click()
  }
  await menu('Pin')
  await expect(row.getByText('pinned')).toBeAttached()
  await menu('Mute for 1 hour')
  await expect(row.getByText('muted')).toBeAttached()
  await menu('Unmute')
  await expect(row.getByText('muted')).not.toBeAttached()
  await menu('Archive')
  await expect(row).toHaveCount(0)
  await page.getByRole('button', { name: 'Archived (1)' }).click()
  await expect(row).toBeVisible()
  await menu('Unarchive')
  await expect(row).toHaveCount(0) // back in the main list, which is hidden now
  await page.getByRole('button', { name: 'Back to chats' }).click()
  await expect(row).toBeVisible()
  await ctx.close()
})
