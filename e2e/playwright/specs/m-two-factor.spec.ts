// Two-factor authentication (TOTP): a user turns it on in the settings (QR code, secret, a code
// of the "app" — computed here with RFC 6238 — and the password), gets 10 recovery codes, then signs in through the
// form with the second step: a wrong code is refused, the next code signs in; another browser
// signs in with a recovery code and turns two-factor authentication off with another one.
import { expect, test, type Browser, type Page } from '@playwright/test'
import { PASSWORD, contextFor, registerApi, screenshotPath, submitPastRateLimit, totpCode, waitConnected } from './helpers'

/** Password step of the form; the second step shows instead of the chats. */
async function passwordStep(browser: Browser, username: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  await page.goto('/login')
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
  await submitPastRateLimit(page, page.getByRole('button', { name: 'Sign in' }), page.getByRole('heading', { name: 'Two-factor authentication' }))
  return page
}

test('RFC 6238 test vector', () => {
  // SHA1 secret "12345678901234567890" in base32, T = 59 s.
  expect(totpCode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59_000)).toBe('287082')
  expect(totpCode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1_111_111_109_000)).toBe('081804')
})

test('turn two-factor authentication on, sign in with a code and with a recovery code, turn it off', async ({ browser, request }) => {
  const tara = await registerApi(request, 'tara', 'Tara')

  // Settings: turn it on. The QR code and the key show; the current code confirms.
  const a = await (await contextFor(browser, tara)).newPage()
  await a.goto('/')
  await waitConnected(a)
  await a.getByRole('link', { name: 'Settings' }).click()
  const section = a.getByRole('region', { name: 'Two-factor authentication' })
  await expect(section.getByTestId('two-factor-state')).toContainText('Off')
  await section.getByRole('button', { name: 'Turn on' }).click()
  const qr = section.getByRole('img', { name: 'QR code for your authenticator app' })
  await expect(qr).toBeVisible()
  await expect(qr.locator('svg')).toHaveCount(1)
  const secret = (await section.getByTestId('totp-secret').textContent())!.replace(/\s/g, '')
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/)
  await section.screenshot({ path: screenshotPath('two-factor.png') })

  // The password too: a borrowed session must not turn it on.
  await section.getByLabel('Authentication code').fill(totpCode(secret))
  await section.getByRole('button', { name: 'Confirm' }).click()
  await expect(section.getByRole('alert')).toContainText('Enter your password')
  await section.getByLabel('Your password').fill(PASSWORD)
  await section.getByRole('button', { name: 'Confirm' }).click()
  const codesBox = section.getByTestId('recovery-codes')
  await expect(codesBox).toBeVisible()
  const codes = (await codesBox.textContent())!.trim().split('\n')
  expect(codes).toHaveLength(10)
  for (const c of codes) expect(c).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/)
  await expect(section.getByText('shown only this once')).toBeVisible()
  await expect(section.getByRole('button', { name: 'Copy' })).toBeVisible()
  await expect(section.getByTestId('two-factor-state')).toContainText('On')
  await expect(section.getByRole('button', { name: 'Turn off' })).toBeVisible()

  // Another browser signs in: the password is not enough any more.
  const b = await passwordStep(browser, tara.username)
  const codeField = b.getByLabel('Authentication code')
  await expect(codeField).toHaveAttribute('inputmode', 'numeric')
  await expect(codeField).toHaveAttribute('autocomplete', 'one-time-code')
  const now = Date.now()
  const valid = new Set([-30_000, 0, 30_000, 60_000].map((d) => totpCode(secret, now + d)))
  const wrong = ['000000', '111111', '222222', '333333', '444444'].find((c) => !valid.has(c))!
  await codeField.fill(wrong)
  await b.getByRole('button', { name: 'Verify' }).click()
  await expect(b.getByRole('alert')).toContainText('code is not valid')
  await expect(b.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible()
  // The confirmation spent the current step's code: the next step's code signs in.
  await codeField.fill(totpCode(secret, Date.now() + 30_000))
  await b.getByRole('button', { name: 'Verify' }).click()
  await expect(b.getByTestId('me')).toHaveText('Tara')
  await waitConnected(b)

  // A third browser uses a recovery code instead.
  const c = await passwordStep(browser, tara.username)
  await c.getByRole('button', { name: 'Use a recovery code' }).click()
  await c.getByLabel('Recovery code').fill(codes[0]!)
  await c.getByRole('button', { name: 'Verify' }).click()
  await expect(c.getByTestId('me')).toHaveText('Tara')
  await waitConnected(c)

  // There, it is turned off with another recovery code. (Second-factor attempts are limited to
  // 5 per 5 minutes per account: this is the 4th.)
  await c.getByRole('link', { name: 'Settings' }).click()
  const offSection = c.getByRole('region', { name: 'Two-factor authentication' })
  await expect(offSection.getByTestId('two-factor-state')).toContainText('On')
  await offSection.getByRole('button', { name: 'Use a recovery code' }).click()
  await offSection.getByLabel('Recovery code').fill(codes[1]!)
  await offSection.getByLabel('Your password').fill(PASSWORD)
  await offSection.getByRole('button', { name: 'Turn off' }).click()
  await expect(offSection.getByTestId('two-factor-state')).toContainText('Off')
  await expect(offSection.getByRole('button', { name: 'Turn on' })).toBeVisible()

  // And the password alone signs in again.
  const d = await (await browser.newContext()).newPage()
  await d.goto('/login')
  await d.getByLabel('Username').fill(tara.username)
  await d.getByLabel('Password').fill(PASSWORD)
  await submitPastRateLimit(d, d.getByRole('button', { name: 'Sign in' }), d.getByTestId('me'))
  await waitConnected(d)
})
