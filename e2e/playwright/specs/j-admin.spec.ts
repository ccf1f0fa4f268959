// Administration: Ben reports Cat's spam from the chat; Ann (an administrator, made with the
// binary's `admin grant`) suspends Cat from the reports queue. Cat's open page is signed out at
// once (socket closed with 4001), her login is refused as suspended; Ann reinstates her and she
// signs in again. Ben, not an administrator, gets "Administrators only" at /admin.
import { expect, test, type Page } from '@playwright/test'
import { randomUUID } from 'node:crypto'
import { PASSWORD, apiPost, contextFor, grantAdmin, message, registerApi, screenshotPath, submitPastRateLimit, waitConnected } from './helpers'

async function signIn(page: Page, username: string) {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
}

test('a report leads to a suspension that ends the session at once; reinstating lets the user back', async ({ browser, request }) => {
  const [ann, ben, cat] = await Promise.all([registerApi(request, 'ann', 'Ann'), registerApi(request, 'ben', 'Ben'), registerApi(request, 'cat', 'Cat')])
  grantAdmin(ann.username)
  const dm = await apiPost(request, cat, '/conversations/direct', { user_id: ben.id })
  await apiPost(request, cat, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'buy cheap watches' })

  // Cat has the chat open; her own message offers no "Report".
  const c = await (await contextFor(browser, cat)).newPage()
  await c.goto(`/c/${dm.id}`)
  await waitConnected(c)
  await expect(message(c, 'buy cheap watches')).toBeVisible()
  await expect(message(c, 'buy cheap watches').getByRole('button', { name: 'Report' })).toHaveCount(0)

  // Ben reports it from the message's actions.
  const b = await (await contextFor(browser, ben)).newPage()
  await b.goto(`/c/${dm.id}`)
  await waitConnected(b)
  const spam = message(b, 'buy cheap watches')
  await spam.getByTestId('message-body').click()
  await spam.getByRole('button', { name: 'Report' }).click()
  const reportDialog = b.getByRole('dialog', { name: 'Report message' })
  await reportDialog.getByLabel('Reason').fill('spam')
  await reportDialog.getByRole('button', { name: 'Send report' }).click()
  await expect(b.getByRole('alert').filter({ hasText: 'Reported to the administrators' })).toBeVisible()
  await expect(reportDialog).toBeHidden()

  // Ben is no administrator: no link, and /admin says so.
  await expect(b.getByRole('link', { name: 'Administration' })).toHaveCount(0)
  await b.goto('/admin')
  await expect(b.getByRole('heading', { name: 'Administrators only' })).toBeVisible()
  await expect(b.getByTestId('report')).toHaveCount(0)

  // Ann opens the queue from the sidebar and sees the report.
  const a = await (await contextFor(browser, ann)).newPage()
  await a.goto('/')
  await a.getByRole('link', { name: 'Administration' }).click()
  // The overview opens first; the queue is one tab on.
  await expect(a.getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true')
  await a.getByRole('tab', { name: 'Reports' }).click()
  await expect(a.getByRole('tab', { name: 'Reports' })).toHaveAttribute('aria-selected', 'true')
  const item = a.getByTestId('report').filter({ has: a.getByTestId('report-message').getByText('buy cheap watches', { exact: true }) })
  await expect(item).toHaveCount(1)
  await expect(item.getByTestId('report-reason')).toHaveText('spam')
  await expect(item.getByTestId('report-sender')).toHaveText('Cat')
  await expect(item.getByTestId('report-reporter')).toContainText(`@${ben.username}`)
  await a.screenshot({ path: screenshotPath('admin.png') })

  // Suspend the sender (after a confirmation): the report leaves the open queue.
  a.once('dialog', (d) => d.accept())
  await item.getByRole('button', { name: 'Suspend sender' }).click()
  await expect(a.getByRole('alert').filter({ hasText: 'Sender suspended' })).toBeVisible()
  await expect(item).toHaveCount(0)

  // Cat's page ends her session by itself (socket closed with 4001 -> refresh refused).
  await expect(c.getByRole('heading', { name: 'Sign in' })).toBeVisible({ timeout: 10_000 })
  await expect(c.getByRole('alert').filter({ hasText: 'Your session has ended' })).toBeVisible()
  // Ben saw the message go.
  await b.goto(`/c/${dm.id}`)
  await expect(b.getByTestId('message-deleted')).toHaveCount(1)

  // Her login is refused as suspended.
  await signIn(c, cat.username)
  const refused = c.getByRole('alert').filter({ hasText: 'suspended' })
  await submitPastRateLimit(c, c.getByRole('button', { name: 'Sign in' }), refused)
  await expect(refused).toContainText('This account is suspended')

  // The resolved queue keeps the decision.
  await a.getByRole('button', { name: 'Resolved' }).click()
  const done = a.getByTestId('report').filter({ hasText: 'spam' }).filter({ hasText: `@${cat.username}` })
  await expect(done.getByTestId('report-status')).toHaveText('Sender suspended')
  await expect(done.getByTestId('report-message')).toHaveText('Message deleted')
  await expect(done.getByTestId('suspended-badge')).toBeVisible()

  // Ann reinstates Cat from the users tab.
  await a.getByRole('tab', { name: 'Users' }).click()
  await a.getByLabel('Suspended only').check()
  await a.getByRole('searchbox', { name: 'Search users' }).fill(cat.username)
  const row = a.locator(`[data-testid="admin-user"][data-username="${cat.username}"]`)
  // Only Cat once the search has run (suspended users of earlier runs are listed before it).
  await expect(a.getByTestId('admin-user')).toHaveCount(1)
  await expect(row.getByTestId('suspended-badge')).toBeVisible()
  await row.getByRole('button', { name: 'Reinstate' }).click()
  await expect(a.getByRole('alert').filter({ hasText: 'is reinstated' })).toBeVisible()
  await expect(row).toHaveCount(0) // "Suspended only"
  await a.getByLabel('Suspended only').uncheck()
  await expect(row).toHaveCount(1)
  await expect(row.getByTestId('suspended-badge')).toHaveCount(0)

  // Cat signs in again.
  await submitPastRateLimit(c, c.getByRole('button', { name: 'Sign in' }), c.getByTestId('me'))
  await expect(c.getByTestId('me')).toHaveText('Cat')

  // A suspension from the users tab (with a reason) ends Ben's open page too.
  await b.goto(`/c/${dm.id}`)
  await waitConnected(b)
  await a.getByRole('searchbox', { name: 'Search users' }).fill(ben.username)
  const benRow = a.locator(`[data-testid="admin-user"][data-username="${ben.username}"]`)
  await expect(a.getByTestId('admin-user')).toHaveCount(1)
  await benRow.getByRole('button', { name: 'Suspend' }).click()
  const suspendDialog = a.getByRole('dialog', { name: 'Suspend user' })
  await suspendDialog.getByLabel('Reason').fill('testing suspensions')
  await suspendDialog.getByRole('button', { name: 'Suspend' }).click()
  await expect(benRow.getByTestId('suspension')).toContainText('testing suspensions')
  await expect(b.getByRole('heading', { name: 'Sign in' })).toBeVisible({ timeout: 10_000 })
})
