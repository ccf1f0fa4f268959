// Session restore on load survives a network blip: the first /auth/refresh fails at the
// network level, the app retries and the user stays signed in (no detour to "Sign in").
import { expect, test } from '@playwright/test'
import { contextFor, registerApi, waitConnected } from './helpers'

test('a failed start-up refresh is retried instead of signing the user out', async ({ browser, request }) => {
  const dan = await registerApi(request, 'dan', 'Dan')
  const ctx = await contextFor(browser, dan)
  const page = await ctx.newPage()
  let aborted = 0
  await page.route('**/api/auth/refresh', async (route) => {
    if (aborted++ === 0) return route.abort('connectionreset')
    return route.continue()
  })
  await page.goto('/')
  await waitConnected(page)
  expect(aborted).toBeGreaterThanOrEqual(2)
  await expect(page.getByRole('heading', { name: 'Sign in' })).toHaveCount(0)
  await ctx.close()
})
