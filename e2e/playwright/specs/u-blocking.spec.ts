// Blocking from the chat: Wes blocks Xia, a stranger (not a contact), from the chat header's
// menu. His composer gives way to "You blocked Xia - Unblock", hers (live, no reload) to "You
// can't reply to this conversation"; unblocking from the notice brings both composers back.
import { randomUUID } from 'node:crypto'
import { expect, test, type Page } from '@playwright/test'
import { apiPost, contextFor, registerApi, screenshotPath, sendMessage, waitConnected } from './helpers'

async function headerMenu(page: Page, item: string) {
  const header = page.locator('header').filter({ has: page.getByTestId('chat-title') })
  await header.getByRole('button', { name: /Options for/ }).click()
  await page.getByRole('menuitem', { name: item, exact: true }).click()
}

test('block and unblock a stranger from the chat', async ({ browser, request }) => {
  const [wes, xia] = await Promise.all([registerApi(request, 'wes', 'Wes'), registerApi(request, 'xia', 'Xia')])
  const dm = await apiPost(request, xia, '/conversations/direct', { user_id: wes.id })
  await apiPost(request, xia, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'hi from a stranger' })

  const w = await (await contextFor(browser, wes)).newPage()
  const x = await (await contextFor(browser, xia)).newPage()
  for (const p of [w, x]) {
    await p.goto(`/c/${dm.id}`)
    await waitConnected(p)
    await expect(p.getByTestId('composer')).toBeVisible()
  }

  w.once('dialog', (d) => void d.accept())
  await headerMenu(w, 'Block')
  await expect(w.getByTestId('blocked-notice')).toContainText('You blocked Xia.')
  await expect(w.getByTestId('composer')).toHaveCount(0)
  // Xia's chat follows at once (conversation.updated), without a reload.
  await expect(x.getByTestId('blocked-notice')).toHaveText("You can't reply to this conversation.")
  await expect(x.getByTestId('composer')).toHaveCount(0)
  await w.screenshot({ path: screenshotPath('blocked-chat.png') })
  // The menu now offers the way back; the notice's button takes it.
  const header = w.locator('header').filter({ has: w.getByTestId('chat-title') })
  await header.getByRole('button', { name: /Options for/ }).click()
  await expect(w.getByRole('menuitem', { name: 'Unblock', exact: true })).toBeVisible()
  await w.keyboard.press('Escape')
  await w.getByTestId('blocked-notice').getByRole('button', { name: 'Unblock' }).click()

  await expect(w.getByTestId('composer')).toBeVisible()
  await expect(x.getByTestId('composer')).toBeVisible()
  await sendMessage(x, 'thanks for unblocking')
  await expect(w.getByTestId('message-body').getByText('thanks for unblocking')).toBeVisible()
})
