// Signed-in devices: one user on two browsers. Device A (signed in with a session made through
// the API) lists both in the settings and signs device B (signed in through the form) out: B's
// page goes to "Sign in" by itself (socket closed with 4001, refresh refused), while A carries
// on, still connected. B signs in again and A signs out "all other devices".
import { expect, test, type Page } from '@playwright/test'
import { PASSWORD, contextFor, registerApi, screenshotPath, submitPastRateLimit, waitConnected } from './helpers'

async function signIn(page: Page, username: string) {
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
  await submitPastRateLimit(page, page.getByRole('button', { name: 'Sign in' }), page.getByTestId('me'))
  await waitConnected(page)
}

async function bannerShown(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __bannerShown: number }).__bannerShown)
}

test('a device signs another out; "sign out all other devices" too', async ({ browser, request }) => {
  const eve = await registerApi(request, 'eve', 'Eve')

  // Device A: signed in with the API's session.
  const a = await (await contextFor(browser, eve)).newPage()
  await a.goto('/')
  await waitConnected(a)

  // Device B: another browser, signed in through the form (a session of its own).
  const b = await (await browser.newContext()).newPage()
  await b.goto('/login')
  await signIn(b, eve.username)
  await expect(b.getByTestId('me')).toHaveText('Eve')

  // A opens the settings: two devices, this one marked (and listed first).
  await a.getByRole('link', { name: 'Settings' }).click()
  const devices = a.getByRole('region', { name: 'Devices' })
  const sessions = devices.getByTestId('session')
  await expect(sessions).toHaveCount(2)
  await expect(sessions.first()).toContainText('This device')
  const mine = sessions.filter({ hasText: 'This device' })
  const other = sessions.filter({ hasNotText: 'This device' })
  await expect(mine).toHaveCount(1)
  await expect(other).toHaveCount(1)
  await expect(mine.getByTestId('session-device')).toHaveText('Chrome on Linux')
  await expect(mine.getByRole('button', { name: /^Sign out/ })).toHaveCount(0)
  await expect(other).toContainText('Signed in')
  await expect(other).toContainText('Active just now')
  await expect(devices.getByRole('button', { name: 'Sign out all other devices' })).toBeVisible()
  await devices.screenshot({ path: screenshotPath('devices.png') })

  // A signs B out.
  await other.getByRole('button', { name: 'Sign out Chrome on Linux' }).click()
  await expect(a.getByRole('alert').filter({ hasText: 'Signed out Chrome on Linux' })).toBeVisible()

  // B's page ends its session by itself.
  await expect(b.getByRole('heading', { name: 'Sign in' })).toBeVisible({ timeout: 10_000 })
  await expect(b.getByRole('alert').filter({ hasText: 'Your session has ended' })).toBeVisible()

  // A carries on: the reloaded list has only this device, the socket stayed up, and a REST
  // call (its access token was refused once and refreshed) works.
  await expect(sessions).toHaveCount(1)
  await expect(sessions).toContainText('This device')
  await expect(devices.getByRole('button', { name: 'Sign out all other devices' })).toHaveCount(0)
  await expect(devices).toContainText('No other device is signed in.')
  await waitConnected(a)
  expect(await bannerShown(a)).toBe(0)
  await a.getByRole('button', { name: '1 hour' }).click()
  await expect(a.getByTestId('dnd-state')).toContainText('on until')
  await a.getByRole('button', { name: 'Turn off' }).click()
  await expect(a.getByTestId('dnd-state')).toHaveText('Do not disturb: off')
  await expect(a.getByRole('heading', { name: 'Sign in' })).toHaveCount(0)
  await expect(a.getByTestId('me')).toHaveText('Eve')

  // B signs in again; A sees it after refreshing the list.
  await signIn(b, eve.username)
  await devices.getByRole('button', { name: 'Refresh' }).click()
  await expect(sessions).toHaveCount(2)

  // "Sign out all other devices" asks first: cancelled, nothing happens.
  a.once('dialog', (d) => d.dismiss())
  await devices.getByRole('button', { name: 'Sign out all other devices' }).click()
  await expect(sessions).toHaveCount(2)
  await waitConnected(b)

  // Confirmed: B is signed out again, A stays.
  a.once('dialog', (d) => d.accept())
  await devices.getByRole('button', { name: 'Sign out all other devices' }).click()
  await expect(a.getByRole('alert').filter({ hasText: 'Signed out 1 other device' })).toBeVisible()
  await expect(b.getByRole('heading', { name: 'Sign in' })).toBeVisible({ timeout: 10_000 })
  await expect(sessions).toHaveCount(1)
  await waitConnected(a)
  expect(await bannerShown(a)).toBe(0)

  // A page reload on A restores its session (its refresh token still works).
  await a.reload()
  await expect(sessions).toHaveCount(1)
  await expect(sessions).toContainText('This device')
  await waitConnected(a)

  await a.context().close()
  await b.context().close()
})
