// Appearance and language: the theme is stored with the account, so a new browser signing in
// shows the one chosen elsewhere; dates and times follow the browser's language (German here).
import { randomUUID } from 'node:crypto'
import { expect, test } from '@playwright/test'
import { apiPost, contextFor, loginApi, registerApi, screenshotPath, waitConnected } from './helpers'

test('the theme follows the account to another browser; dates follow the browser locale', async ({ browser, request }) => {
  const [uma, vic] = await Promise.all([registerApi(request, 'uma', 'Uma'), registerApi(request, 'vic', 'Vic')])
  const dm = await apiPost(request, vic, '/conversations/direct', { user_id: uma.id })
  await apiPost(request, vic, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'Guten Morgen' })

  // A German browser with a light system theme: the account's default follows the system.
  const first = await contextFor(browser, uma, { locale: 'de-DE', colorScheme: 'light', timezoneId: 'Europe/Berlin' })
  const page = await first.newPage()
  await page.goto(`/c/${dm.id}`)
  await waitConnected(page)
  const html = page.locator('html')
  await expect(html).not.toHaveClass(/dark/)
  await expect(page.getByTestId('day-separator').first()).toHaveText('Heute')
  // 24-hour time, the German way (no AM/PM).
  await expect(page.getByTestId('message').first()).toContainText(/\d{2}:\d{2}/)
  await expect(page.getByTestId('message').first()).not.toContainText(/AM|PM/)
  await page.screenshot({ path: screenshotPath('german-dates.png') })

  await page.getByRole('link', { name: 'Settings' }).click()
  await page.getByLabel('Dark', { exact: true }).check()
  await expect(html).toHaveClass(/dark/)
  await expect.poll(async () => (await (await request.get('/api/me', { headers: { authorization: `Bearer ${uma.access_token}` } })).json()).theme).toBe('dark')
  await first.close()

  // Another browser (no local storage, light system theme, English): the account's dark theme.
  const second = await contextFor(browser, await loginApi(request, uma.username), { locale: 'en-US', colorScheme: 'light' })
  const other = await second.newPage()
  await other.goto(`/c/${dm.id}`)
  await waitConnected(other)
  await expect(other.locator('html')).toHaveClass(/dark/)
  await expect(other.getByTestId('day-separator').first()).toHaveText('Today')
  await other.getByRole('link', { name: 'Settings' }).click()
  await expect(other.getByLabel('Dark', { exact: true })).toBeChecked()
  // Back to light here: stored for the next browser too.
  await other.getByLabel('Light', { exact: true }).check()
  await expect(other.locator('html')).not.toHaveClass(/dark/)
  await expect.poll(async () => (await (await request.get('/api/me', { headers: { authorization: `Bearer ${uma.access_token}` } })).json()).theme).toBe('light')
  await second.close()
})
