// Linked sign-in providers: Settings lists the cluster's test provider, links it to the
// signed-in account (the provider's flow, back to Settings), then signing in with it opens the
// same account; unlinking works while a password remains, and the last way in of an account
// without a password is neither offered nor accepted (409 last_sign_in_method).
import { expect, test, type APIRequestContext } from '@playwright/test'
import { contextFor, registerApi, screenshotPath, uniqueName, waitConnected } from './helpers'

/** The test provider signs in this user next (the browser cannot add a login_hint). */
async function nextProviderUser(request: APIRequestContext, hint: string) {
  const start = await request.get('/api/auth/oidc/local/start', { maxRedirects: 0 })
  const issuer = new URL(start.headers()['location']!).origin
  expect((await request.post(`${issuer}/test/next-user`, { data: hint })).status()).toBe(204)
}

test('link, use and unlink a sign-in provider; never the last way in', async ({ browser, request, playwright, baseURL }) => {
  const yul = await registerApi(request, 'yul', 'Yul')
  const ctx = await contextFor(browser, yul)
  const page = await ctx.newPage()
  await page.goto('/settings')
  const methods = page.getByTestId('sign-in-methods')
  const row = methods.getByTestId('sign-in-method-local')
  await expect(row).toContainText('Local OIDC')
  await expect(row).toContainText('Not linked')

  const sub = uniqueName('yulsub')
  await nextProviderUser(request, `${sub}|${sub}@provider.test|false|${sub}`)
  await row.getByRole('button', { name: 'Link' }).click()
  // The provider approves and the API sends the browser back to Settings.
  await expect(row).toContainText(`Linked as ${sub}@provider.test`)
  await expect(page.getByText('The provider is linked')).toBeVisible()
  expect(page.url()).not.toContain('linked=')
  await methods.screenshot({ path: screenshotPath('sign-in-methods.png') })

  // Another browser: "Sign in with Local OIDC" as that identity opens Yul's account.
  await nextProviderUser(request, `${sub}|${sub}@provider.test|false`)
  const other = await browser.newContext()
  const p2 = await other.newPage()
  await p2.goto('/login')
  await p2.getByRole('link', { name: 'Sign in with Local OIDC' }).click()
  await waitConnected(p2)
  await p2.goto('/profile')
  await expect(p2.getByText(yul.username).first()).toBeVisible()
  await other.close()

  // Yul has a password: the provider can go.
  await row.getByRole('button', { name: 'Unlink' }).click()
  await expect(row).toContainText('Not linked')
  await ctx.close()

  // An account made by the provider has no password: its only provider stays. Made through
  // the API first (what the browser does), which refuses to unlink it...
  const solo = uniqueName('solo')
  const hint = `${solo}|${solo}@provider.test|true|${solo}`
  const api = await playwright.request.newContext({ baseURL, maxRedirects: 0 })
  const start = await api.get('/api/auth/oidc/local/start')
  const approve = await api.get(`${start.headers()['location']}&login_hint=${encodeURIComponent(hint)}`)
  const callback = new URL(approve.headers()['location']!)
  const back = await api.get(callback.pathname + callback.search)
  const code = new URL(back.headers()['location']!).searchParams.get('code')
  const tokens = await (await api.post('/api/auth/oidc/complete', { data: { code } })).json()
  const refused = await api.delete('/api/me/identities/local', { headers: { authorization: `Bearer ${tokens.access_token}` } })
  expect(refused.status()).toBe(409)
  expect((await refused.json()).error.code).toBe('last_sign_in_method')
  await api.dispose()
  // ...and Settings does not offer it.
  await nextProviderUser(request, hint)
  const fresh = await browser.newContext()
  const p3 = await fresh.newPage()
  await p3.goto('/login')
  await p3.getByRole('link', { name: 'Sign in with Local OIDC' }).click()
  await waitConnected(p3)
  await p3.goto('/settings')
  const soloRow = p3.getByTestId('sign-in-method-local')
  await expect(soloRow).toContainText(`Linked as ${solo}@provider.test`)
  await expect(soloRow.getByRole('button', { name: 'Unlink' })).toBeDisabled()
  await expect(p3.getByTestId('sign-in-methods')).toContainText('You have no password')
  await fresh.close()
})
