// Browser notifications: a message arriving while the tab is hidden notifies (and the tab title
// counts it); after "Mute forever" from the chat menu the next one does not; do-not-disturb
// from the settings page silences an unmuted chat too.
// The Notification API and document.hidden are replaced by recorders before the app loads.
import { expect, test, type Page } from '@playwright/test'
import { apiPost, contextFor, registerApi, waitConnected } from './helpers'
import { randomUUID } from 'node:crypto'

function fakeNotificationsAndVisibility() {
  const w = window as unknown as { __shown: { title: string; body: string }[]; __hidden: boolean }
  w.__shown = []
  w.__hidden = false
  class FakeNotification {
    static permission = 'granted'
    static requestPermission = async () => 'granted'
    onclick: (() => void) | null = null
    constructor(title: string, options?: { body?: string }) {
      w.__shown.push({ title, body: options?.body ?? '' })
    }
    close() {}
  }
  Object.defineProperty(window, 'Notification', { value: FakeNotification, configurable: true })
  Object.defineProperty(Document.prototype, 'hidden', { get: () => w.__hidden, configurable: true })
}

const shown = (page: Page) => page.evaluate(() => (window as unknown as { __shown: { body: string }[] }).__shown.map((n) => n.body))
const hide = (page: Page, hidden: boolean) => page.evaluate((h) => ((window as unknown as { __hidden: boolean }).__hidden = h), hidden)

test('notifications while hidden; mute and do-not-disturb suppress them', async ({ browser, request }) => {
  const [wes, xia, yul] = await Promise.all([registerApi(request, 'wes', 'Wes'), registerApi(request, 'xia', 'Xia'), registerApi(request, 'yul', 'Yul')])
  const fromXia = await apiPost(request, xia, '/conversations/direct', { user_id: wes.id })
  const fromYul = await apiPost(request, yul, '/conversations/direct', { user_id: wes.id })
  const send = (who: typeof xia, dm: { id: number }, body: string) =>
    apiPost(request, who, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body })

  const ctx = await contextFor(browser, wes)
  await ctx.addInitScript(fakeNotificationsAndVisibility)
  const page = await ctx.newPage()
  await page.goto('/')
  await waitConnected(page)
  const list = page.getByTestId('conversation-list')
  await expect(list.getByRole('listitem').filter({ hasText: 'Xia' })).toBeVisible()

  // Visible tab: no notification. Hidden: one, and the title counts the unread.
  await send(xia, fromXia, 'while visible')
  await expect(list.getByRole('listitem').filter({ hasText: 'while visible' })).toBeVisible()
  await hide(page, true)
  await send(xia, fromXia, 'while hidden')
  await expect.poll(() => shown(page)).toEqual(['while hidden'])
  await expect(page).toHaveTitle(/^\(2\) /)

  // Muted from the chat menu: nothing for that chat, while another chat still notifies.
  await hide(page, false)
  await list.getByRole('button', { name: 'Options for Xia' }).click()
  await page.getByRole('menuitem', { name: 'Mute forever' }).click()
  await expect(list.getByRole('listitem').filter({ hasText: 'Xia' })).toContainText('muted')
  await hide(page, true)
  await send(xia, fromXia, 'muted chat')
  await send(yul, fromYul, 'other chat')
  await expect.poll(() => shown(page)).toEqual(['while hidden', 'other chat'])

  // Do not disturb (settings): the unmuted chat is silent too.
  await hide(page, false)
  await page.getByRole('link', { name: 'Settings' }).click() // in-app: the recorders stay
  await page.getByRole('button', { name: 'Until I turn it off' }).click()
  await expect(page.getByTestId('dnd-state')).toContainText('on until turned off')
  await hide(page, true)
  await send(yul, fromYul, 'during dnd')
  await expect(list.getByRole('listitem').filter({ hasText: 'during dnd' })).toBeVisible()
  expect(await shown(page)).toEqual(['while hidden', 'other chat'])
})
