// Two users chat directly: ticks sent -> delivered -> read, typing indicator, presence dot.
import { expect, test } from '@playwright/test'
import { PASSWORD, submitPastRateLimit, contextFor, message, registerApi, screenshotPath, sendMessage, tickHistory, uniqueName, waitConnected, recordTicksAndBanner } from './helpers'

test('two users register and chat: ticks, typing, presence', async ({ browser, request }) => {
  // Alice registers through the UI (the form shows the API's validation messages per field).
  const alice = await browser.newContext()
  await alice.addInitScript(recordTicksAndBanner)
  const a = await alice.newPage()
  await a.goto('/login')
  await expect(a.getByRole('heading', { name: 'Sign in' })).toBeVisible()
  await a.screenshot({ path: screenshotPath('login.png') })
  await a.getByRole('link', { name: 'Create one' }).click()
  // The login form has a Username field too: wait for the register page before filling it.
  await expect(a.getByRole('heading', { name: 'Create account' })).toBeVisible()
  const aliceName = uniqueName('alice')
  await a.getByLabel('Username').fill(aliceName)
  await a.getByLabel('Display name (optional)').fill('Alice')
  await a.getByLabel('Password').fill('short')
  await submitPastRateLimit(a, a.getByRole('button', { name: 'Create account' }), a.locator('#password-error'))
  await expect(a.locator('#password-error')).toContainText('8')
  await a.getByLabel('Password').fill(PASSWORD)
  await submitPastRateLimit(a, a.getByRole('button', { name: 'Create account' }), a.getByTestId('me'))
  await expect(a.getByTestId('me')).toHaveText('Alice')
  await waitConnected(a)

  // Bob, on a phone, signed in with a session made through the API.
  const bobSession = await registerApi(request, 'bob', 'Bob')
  const bob = await contextFor(browser, bobSession, { viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true })
  const b = await bob.newPage()
  await b.goto('/')
  await waitConnected(b)

  // Alice starts the chat from the user search.
  await a.getByRole('button', { name: 'New chat' }).click()
  await a.getByRole('searchbox', { name: 'Find a person' }).fill(bobSession.username)
  await a.getByTestId(`pick-${bobSession.username}`).click()
  await expect(a.getByTestId('chat-title')).toHaveText('Bob')
  // Bob's page is open: his presence shows in Alice's header.
  await expect(a.locator('header').getByTestId('online-dot')).toBeVisible()

  // Bob stays on his chat list: the message reaches his device (delivered) but is not read.
  await sendMessage(a, 'Hello Bob!')
  const first = message(a, 'Hello Bob!')
  await expect(first.getByTestId('tick')).toHaveAttribute('data-state', 'delivered')
  const bobRow = b.getByTestId('conversation-list').getByRole('listitem').filter({ hasText: 'Alice' })
  await expect(bobRow.getByTestId('unread-badge')).toContainText('1')
  // A sidebar row is as tall as its link: the chat's menu button floats over it (it used to
  // sit below it, in the flow, leaving a blank band under every row).
  const aliceRow = a.getByTestId('conversation-list').getByRole('listitem').filter({ hasText: 'Bob' })
  const [row, link] = await Promise.all([aliceRow.boundingBox(), aliceRow.getByRole('link').boundingBox()])
  expect(row!.height).toBe(link!.height)

  // Bob opens the chat: read (blue ticks) on Alice's side.
  await bobRow.getByRole('link').click()
  await expect(message(b, 'Hello Bob!')).toBeVisible()
  await expect(first.getByTestId('tick')).toHaveAttribute('data-state', 'read')
  const clientId = await first.getAttribute('data-client-id')
  const history = await tickHistory(a, clientId!)
  expect(history.filter((s) => s !== 'sending')).toEqual(['sent', 'delivered', 'read'])
  expect(history[0]).toBe('sending')

  // Typing: shows while Bob types, goes away when he stops.
  await b.getByTestId('composer').pressSequentially('typing something', { delay: 30 })
  await expect(a.getByTestId('typing-indicator')).toBeVisible()
  await expect(bobRow).toBeVisible({ visible: false }).catch(() => {}) // (phone: sidebar hidden in chat)
  await expect(a.getByTestId('typing-indicator')).toBeHidden({ timeout: 12_000 })
  await b.getByTestId('composer').fill('')

  // Bob answers with Shift+Enter for a second line; Alice sees both lines.
  await b.getByTestId('composer').pressSequentially('Hi Alice')
  await b.getByTestId('composer').press('Shift+Enter')
  await b.getByTestId('composer').pressSequentially('second line')
  await b.getByTestId('composer').press('Enter')
  await expect(a.getByTestId('message-body').filter({ hasText: 'second line' })).toHaveText('Hi Alice\nsecond line')
  // Alice has the chat open: Bob's ticks go to read too.
  await expect(b.getByTestId('message').filter({ hasText: 'second line' }).getByTestId('tick')).toHaveAttribute('data-state', 'read')
  await sendMessage(a, 'See you soon')
  await expect(message(b, 'See you soon')).toBeVisible()

  // Edit and delete my own message: the peer sees "edited", then the tombstone.
  const mine = message(a, 'See you soon')
  await mine.getByRole('button', { name: 'Edit' }).click()
  await a.getByTestId('composer').fill('See you tomorrow')
  await a.getByTestId('composer').press('Enter')
  await expect(message(b, 'See you tomorrow')).toContainText('edited')
  a.once('dialog', (d) => d.accept())
  await message(a, 'See you tomorrow').getByRole('button', { name: 'Delete' }).click()
  await expect(b.getByTestId('message-deleted')).toHaveCount(1)
  await expect(a.getByTestId('message-deleted')).toHaveCount(1)

  // A send that fails offline keeps its bubble with a Retry button; the retry (same
  // client_id) delivers it exactly once.
  await alice.setOffline(true)
  await a.getByTestId('composer').fill('sent on retry')
  await a.getByTestId('composer').press('Enter')
  const failed = a.getByTestId('message').filter({ hasText: 'sent on retry' })
  await expect(failed.getByTestId('tick')).toHaveAttribute('data-state', 'failed')
  await alice.setOffline(false)
  await failed.getByTestId('retry-send').click()
  await expect(failed.getByTestId('tick')).not.toHaveAttribute('data-state', /failed|sending/)
  await expect(message(b, 'sent on retry')).toHaveCount(1)
  await expect(message(a, 'sent on retry')).toHaveCount(1)
  await b.screenshot({ path: screenshotPath('phone-chat.png') })
  await a.screenshot({ path: screenshotPath('sidebar-chat.png') })

  // Dark theme from the settings, stored in this browser.
  await a.getByRole('link', { name: 'Settings' }).click()
  await a.getByLabel('Dark').check()
  await expect(a.locator('html')).toHaveClass(/dark/)
  await a.goBack()
  await expect(a.getByTestId('chat-title')).toHaveText('Bob')
  await a.screenshot({ path: screenshotPath('dark-theme.png') })
  await a.reload()
  await expect(a.locator('html')).toHaveClass(/dark/)
  await a.getByRole('link', { name: 'Settings' }).click()
  await a.getByLabel('Light').check()
  await a.goBack()

  // Bob closes the page: his online dot goes away on Alice's side.
  await expect(a.locator('header').getByTestId('online-dot')).toBeVisible()
  await b.close()
  await expect(a.locator('header').getByTestId('online-dot')).toBeHidden({ timeout: 40_000 })
  await expect(a.getByTestId('chat-subtitle')).toContainText('last seen')

  await alice.close()
  await bob.close()
})
