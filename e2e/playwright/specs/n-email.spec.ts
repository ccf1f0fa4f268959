// Account email through the real cluster and its mail sink (node `mail`): sign up with an
// address, read the mail the api-server sent from the sink's HTTP side (CHAT_MAIL_URL), open the
// link, see the address confirmed; then "forgot password" from the sign-in page, the reset link,
// a new password: the old session ends, the new password signs in.
import { expect, test, type APIRequestContext } from '@playwright/test'
import { BASE, PASSWORD, screenshotPath, submitPastRateLimit, uniqueName, waitConnected } from './helpers'

const MAIL = process.env.CHAT_MAIL_URL ?? 'http://127.0.0.1:8025'

interface Mail {
  from: string
  to: string[]
  subject: string
  body: string
}

/** Waits for the `n`th mail to `to` whose subject is `subject` and returns the link in it. */
async function linkFromMail(request: APIRequestContext, to: string, subject: string, page: string): Promise<string> {
  let mails: Mail[] = []
  await expect
    .poll(
      async () => {
        const res = await request.get(`${MAIL}/messages?to=${encodeURIComponent(to)}`)
        mails = ((await res.json()) as Mail[]).filter((m) => m.subject === subject)
        return mails.length
      },
      { timeout: 20_000, message: `a mail "${subject}" to ${to}` },
    )
    .toBeGreaterThan(0)
  const body = mails[mails.length - 1]!.body
  const link = body.match(new RegExp(`https?://\\S+/${page}\\?token=[A-Za-z0-9_-]+`))?.[0]
  expect(link, body).toBeTruthy()
  return link!
}

test('sign up with an address, confirm it from the mail, reset the password from the mail', async ({ browser, request }) => {
  const username = uniqueName('eve')
  const email = `${username}@example.com`

  // Sign up with an address: a verification mail goes out.
  const ctx = await browser.newContext()
  const a = await ctx.newPage()
  await a.goto('/register')
  await a.getByLabel('Username').fill(username)
  await a.getByLabel('Email (optional)').fill(email)
  await a.getByLabel('Password').fill(PASSWORD)
  await submitPastRateLimit(a, a.getByRole('button', { name: 'Create account' }), a.getByTestId('me'))
  await waitConnected(a)
  await a.getByRole('link', { name: 'Settings' }).click()
  const section = a.getByTestId('email-settings')
  await expect(section.getByTestId('email-state')).toContainText(email)
  await expect(section.getByTestId('email-state')).toContainText('not confirmed')

  // The link of the mail, opened in the same browser, confirms the address.
  const verifyLink = await linkFromMail(request, email, 'Confirm your email address', 'verify-email')
  expect(verifyLink.startsWith(`${BASE}/verify-email?token=`), verifyLink).toBe(true)
  await a.goto(verifyLink)
  await expect(a.getByTestId('email-verified')).toHaveText('Your email address is confirmed.')
  await a.getByRole('link', { name: 'Back to the settings' }).click()
  await expect(a.getByTestId('email-settings').getByTestId('email-state')).toContainText('confirmed')
  await expect(a.getByTestId('email-settings').getByTestId('email-state')).not.toContainText('not confirmed')
  await a.getByTestId('email-settings').screenshot({ path: screenshotPath('email-settings.png') })
  // The same link again: refused.
  await a.goto(verifyLink)
  await expect(a.getByTestId('email-verify-error')).toContainText('already used')

  // Another browser: forgot password -> mail -> new password.
  const b = await (await browser.newContext()).newPage()
  await b.goto('/login')
  await b.getByRole('link', { name: 'Forgot your password?' }).click()
  await b.getByLabel('Email').fill(email.toUpperCase())
  await b.getByRole('button', { name: 'Send the link' }).click()
  await expect(b.getByTestId('forgot-sent')).toContainText('If an account has this verified address')
  const resetLink = await linkFromMail(request, email, 'Reset your password', 'reset-password')
  await b.goto(resetLink)
  const NEW = 'a-brand-new-password'
  await b.getByLabel('New password', { exact: true }).fill(NEW)
  await b.getByLabel('New password again').fill('something else')
  await b.getByRole('button', { name: 'Set the password' }).click()
  await expect(b.getByText('The two passwords differ.')).toBeVisible()
  await b.getByLabel('New password again').fill(NEW)
  await b.getByRole('button', { name: 'Set the password' }).click()
  await expect(b.getByTestId('reset-done')).toBeVisible()

  // Every device was signed out: the first browser is back at "Sign in".
  await a.goto('/')
  await expect(a.getByRole('heading', { name: 'Sign in' })).toBeVisible()

  // The old password no longer works, the new one does.
  await b.getByRole('link', { name: 'Sign in' }).click()
  await b.getByLabel('Username').fill(username)
  await b.getByLabel('Password').fill(PASSWORD)
  await submitPastRateLimit(b, b.getByRole('button', { name: 'Sign in' }), b.getByRole('alert').filter({ hasText: 'Wrong username or password' }))
  await b.getByLabel('Password').fill(NEW)
  await submitPastRateLimit(b, b.getByRole('button', { name: 'Sign in' }), b.getByTestId('me'))
  await waitConnected(b)

  // The reset link works once.
  await b.goto(resetLink)
  await b.getByLabel('New password', { exact: true }).fill('yet-another-password')
  await b.getByLabel('New password again').fill('yet-another-password')
  await b.getByRole('button', { name: 'Set the password' }).click()
  await expect(b.getByRole('alert')).toContainText('already used')
  await ctx.close()
})
