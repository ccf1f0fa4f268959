// Privacy settings and custom status. Ben hides his last seen: Ana's open chat with him shows no
// online dot and no "online"/"last seen" line while he is online (live, and after a reload). He
// accepts messages only from his contacts: Cal, a stranger, is told so when starting a chat. He
// sets a status "🌴 On holiday": Ana sees it in the chat header and the emoji in her sidebar.
// Then read receipts off: Ana's message stays "delivered" after Ben reads it.
import { randomUUID } from 'node:crypto'
import { expect, test, type Locator, type Page } from '@playwright/test'
import { apiPost, contextFor, message, registerApi, tickHistory, waitConnected } from './helpers'

async function openSettings(page: Page) {
  await page.getByRole('link', { name: 'Settings' }).click()
  const privacy = page.getByRole('region', { name: 'Privacy' })
  await expect(privacy.getByLabel('Last seen & online')).toBeVisible()
  return privacy
}

async function choose(section: Locator, label: string, value: string) {
  await section.getByLabel(label).selectOption(value)
  await expect(section.getByTestId('privacy-state')).toHaveText('Saved.')
  await expect(section.getByLabel(label)).toHaveValue(value)
}

test('hidden last seen, contacts-only messages and a custom status', async ({ browser, request }) => {
  const ana = await registerApi(request, 'ana', 'Ana')
  const ben = await registerApi(request, 'ben', 'Ben')
  const cal = await registerApi(request, 'cal', 'Cal')
  const dm = await apiPost(request, ana, '/conversations/direct', { user_id: ben.id })
  await apiPost(request, ana, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'Hi Ben' })

  // Ben is online (his page is open); Ana's chat with him says so, as by default.
  const b = await (await contextFor(browser, ben)).newPage()
  await b.goto('/')
  await waitConnected(b)
  const a = await (await contextFor(browser, ana)).newPage()
  await a.goto(`/c/${dm.id}`)
  await waitConnected(a)
  const header = a.locator('header').filter({ has: a.getByTestId('chat-title') })
  await expect(a.getByTestId('chat-title')).toHaveText('Ben')
  await expect(header.getByTestId('online-dot')).toBeVisible()
  await expect(a.getByTestId('chat-subtitle')).toHaveText('online')
  await expect(a.getByTestId('chat-status')).toHaveCount(0)

  // Ben: "Last seen & online" -> Nobody. The defaults show first.
  const privacy = await openSettings(b)
  await expect(privacy.getByLabel('Last seen & online')).toHaveValue('everyone')
  await expect(privacy.getByLabel('Who can message me')).toHaveValue('everyone')
  await expect(privacy.getByLabel('Who can add me to groups')).toHaveValue('everyone')
  await expect(privacy.getByLabel('Read receipts')).toBeChecked()
  await expect(privacy).toContainText("If you turn read receipts off, you won't see other people's either.")
  await choose(privacy, 'Last seen & online', 'nobody')

  // Ana: Ben is still online, yet her header shows nothing about it (no "offline" either).
  await waitConnected(b)
  await expect(header.getByTestId('online-dot')).toHaveCount(0)
  await expect(a.getByTestId('chat-subtitle')).toHaveText('')
  // The same after a reload (REST + a fresh presence subscription).
  await a.reload()
  await waitConnected(a)
  await expect(a.getByTestId('chat-title')).toHaveText('Ben')
  await expect(header.getByTestId('online-dot')).toHaveCount(0)
  await expect(a.getByTestId('chat-subtitle')).toHaveText('')
  await expect(header).not.toContainText(/online|offline|last seen/)
  const anaRow = a.getByTestId(`conversation-${dm.id}`)
  await expect(anaRow.getByTestId('online-dot')).toHaveCount(0)

  // The setting is stored: Ben's settings show it after a reload.
  await b.reload()
  await waitConnected(b)
  await expect(b.getByRole('region', { name: 'Privacy' }).getByLabel('Last seen & online')).toHaveValue('nobody')

  // Ben: "Who can message me" -> My contacts. Cal (not in Ben's contacts) is told why.
  await choose(b.getByRole('region', { name: 'Privacy' }), 'Who can message me', 'contacts')
  const c = await (await contextFor(browser, cal)).newPage()
  await c.goto('/')
  await waitConnected(c)
  await c.getByRole('button', { name: 'New chat' }).click()
  await c.getByRole('searchbox', { name: 'Find a person' }).fill(ben.username)
  await c.getByTestId(`pick-${ben.username}`).click()
  await expect(c.getByRole('dialog').getByRole('alert')).toHaveText('Ben only accepts messages from their contacts.')
  await expect(c.getByTestId('chat-title')).toHaveCount(0)
  await c.context().close()

  // Ben sets a status on his profile.
  await b.getByRole('link', { name: 'Profile' }).click()
  await b.getByRole('button', { name: 'Use 🌴' }).click()
  await expect(b.getByLabel('Status emoji')).toHaveValue('🌴')
  await b.getByLabel('Status text').fill('On holiday')
  await b.getByRole('button', { name: 'Save status' }).click()
  await expect(b.getByTestId('status-saved')).toHaveText('Status saved.')
  await expect(b.getByTestId('my-status')).toHaveText('Now: 🌴 On holiday')

  // Ana sees it in the chat header (fetched when the chat opens) and the emoji in her sidebar.
  await a.reload()
  await waitConnected(a)
  await expect(a.getByTestId('chat-status')).toHaveText('🌴 On holiday')
  await expect(anaRow.getByTestId('conversation-status-emoji')).toContainText('🌴')
  await expect(a.getByTestId('chat-subtitle')).toHaveText('')

  // Ben clears it; Ana no longer sees it once the chat is opened again.
  await b.getByRole('button', { name: 'Clear status' }).click()
  await expect(b.getByTestId('status-saved')).toHaveText('Status cleared.')
  await expect(b.getByLabel('Status text')).toHaveValue('')
  await a.reload()
  await waitConnected(a)
  await expect(a.getByTestId('chat-title')).toHaveText('Ben')
  await expect(a.getByTestId('chat-status')).toHaveCount(0)

  await a.context().close()
  await b.context().close()
})

test('read receipts off: my message stays delivered after it is read', async ({ browser, request }) => {
  const ida = await registerApi(request, 'ida', 'Ida')
  const jay = await registerApi(request, 'jay', 'Jay')
  const dm = await apiPost(request, ida, '/conversations/direct', { user_id: jay.id })

  // Jay turns read receipts off.
  const j = await (await contextFor(browser, jay)).newPage()
  await j.goto('/')
  await waitConnected(j)
  const privacy = await openSettings(j)
  await privacy.getByLabel('Read receipts').uncheck()
  await expect(privacy.getByTestId('privacy-state')).toHaveText('Saved.')
  await expect(privacy.getByLabel('Read receipts')).not.toBeChecked()

  // Ida writes; Jay's device gets it (delivered) and he reads it: Ida's tick stays delivered.
  const i = await (await contextFor(browser, ida)).newPage()
  await i.goto(`/c/${dm.id}`)
  await waitConnected(i)
  const text = 'Did you read this?'
  const box = i.getByTestId('composer')
  await box.fill(text)
  await box.press('Enter')
  const mine = message(i, text)
  await expect(mine.getByTestId('tick')).toHaveAttribute('data-state', 'delivered')
  await j.goto(`/c/${dm.id}`)
  await waitConnected(j)
  await expect(message(j, text)).toBeVisible()
  // Give a read receipt time to arrive (it must not).
  await j.waitForTimeout(3000)
  await expect(mine.getByTestId('tick')).toHaveAttribute('data-state', 'delivered')
  const clientId = await mine.getAttribute('data-client-id')
  expect(await tickHistory(i, clientId!)).not.toContain('read')

  await i.context().close()
  await j.context().close()
})
