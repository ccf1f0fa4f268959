// Sign-in with OpenID Connect against the cluster's test provider (node `oidc`,
// e2e/oidc-provider, which approves everyone as local.user): the button on the sign-in page
// lands in the app; a provider answer carried into another browser (login CSRF: the state does
// not match that browser's cookie) is refused with a message in words.
import { expect, test } from '@playwright/test'
import { screenshotPath, waitConnected } from './helpers'

test('sign in with the local OpenID provider lands in the app', async ({ page }) => {
  await page.goto('/register')
  await expect(page.getByRole('link', { name: 'Sign in with Local OIDC' })).toBeVisible()
  await page.goto('/login')
  await page.getByRole('link', { name: 'Sign in with Local OIDC' }).click()
  await waitConnected(page)
  await expect(page).toHaveURL(/\/$/)
  // The one-time code is not left in the address bar or history.
  expect(page.url()).not.toContain('code=')
  const me = await page.evaluate(async () => {
    const token = localStorage.getItem('chat.refresh_token')
    return token !== null && token.length > 20
  })
  expect(me).toBe(true)
})

test('a provider answer opened in another browser is refused with a message', async ({ page, playwright, baseURL }) => {
  // Browser A (an API client here) starts a sign-in and gets the provider's answer...
  const a = await playwright.request.newContext({ baseURL, maxRedirects: 0 })
  const start = await a.get('/api/auth/oidc/local/start', { maxRedirects: 0 })
  expect(start.status()).toBe(302)
  const approve = await a.get(start.headers()['location']!, { maxRedirects: 0 })
  expect(approve.status()).toBe(302)
  const callback = approve.headers()['location']!
  expect(callback).toContain('/api/auth/oidc/local/callback?code=')
  // ...which browser B opens: its state is not B's.
  await page.goto(callback)
  await expect(page).toHaveURL(/\/oidc\/?$/) // nginx serves the generated page as /oidc/
  const alert = page.getByTestId('oidc-error')
  await expect(alert).toContainText('not started in this browser')
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible()
  await page.screenshot({ path: screenshotPath('oidc-refused.png') })
  await page.getByRole('link', { name: 'Back to sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible()
  await a.dispose()
})
