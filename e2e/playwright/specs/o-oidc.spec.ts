// Sign-in with OpenID Connect against the cluster's test provider (node `oidc`,
// e2e/oidc-provider, which approves everyone as local.user): the button on the sign-in page
// lands in the app; a provider answer carried into another browser (login CSRF: the state does
// not match that browser's cookie) is refused with a message in words; an account with
// two-factor authentication on continues with the code step of the sign-in page, and the page
// asked for before signing in (`?redirect=`) opens afterwards.
import { expect, test } from '@playwright/test'
import { screenshotPath, totpCode, uniqueName, waitConnected } from './helpers'

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

test('with two-factor authentication on, the provider sign-in continues with the code step', async ({ page, playwright, baseURL }) => {
  // A user of its own (the provider signs in whoever login_hint names).
  const name = uniqueName('oidc2fa')
  const hint = encodeURIComponent(`${name}|${name}@example.test|true|${name}`)
  // First sign-in through the API (what the browser does), then two-factor authentication on.
  const api = await playwright.request.newContext({ baseURL, maxRedirects: 0 })
  const start = await api.get('/api/auth/oidc/local/start')
  const approve = await api.get(`${start.headers()['location']}&login_hint=${hint}`)
  const callback = new URL(approve.headers()['location']!)
  const back = await api.get(callback.pathname + callback.search)
  const code = new URL(back.headers()['location']!).searchParams.get('code')
  expect(code).toBeTruthy()
  const tokens = await (await api.post('/api/auth/oidc/complete', { data: { code } })).json()
  const headers = { authorization: `Bearer ${tokens.access_token}` }
  const enrol = await (await api.post('/api/me/2fa', { headers, data: {} })).json()
  expect((await api.post('/api/me/2fa/confirm', { headers, data: { code: totpCode(enrol.secret) } })).status()).toBe(200)
  await api.dispose()

  // The browser signs in with the provider as that user (the test provider's knob names who the
  // next sign-in without a login_hint is): no session before the code.
  const issuer = new URL(start.headers()['location']!).origin
  const knob = await playwright.request.newContext()
  expect((await knob.post(`${issuer}/test/next-user`, { data: decodeURIComponent(hint) })).status()).toBe(204)
  await knob.dispose()
  // Sent to the sign-in page from a deep link: the path survives the provider and the code step.
  await page.goto('/login?redirect=%2Fsettings')
  await page.getByRole('link', { name: 'Sign in with Local OIDC' }).click()
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible()
  expect(await page.evaluate(() => localStorage.getItem('chat.refresh_token'))).toBeNull()
  await page.getByLabel('Authentication code').fill(totpCode(enrol.secret, Date.now() + 30_000))
  await page.getByRole('button', { name: 'Verify' }).click()
  await waitConnected(page)
  await expect(page).toHaveURL(/\/settings\/?$/)
})
