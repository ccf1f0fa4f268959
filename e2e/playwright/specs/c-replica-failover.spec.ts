// A ws replica dies (SIGKILL) mid-conversation: the page shows "Reconnecting…", lands on the
// other replica, and every message sent meanwhile over REST appears exactly once.
import { expect, test } from '@playwright/test'
import { apiPost, clusterUp, connectionsPerNode, contextFor, pidOf, registerApi, screenshotPath, waitConnected, wsNodes } from './helpers'
import { randomUUID } from 'node:crypto'

const COUNT = 12

test('a ws replica is killed: reconnect to the other one, no message lost', async ({ browser, request }) => {
  test.skip(wsNodes().length < 2, 'needs two ws replicas')
  const [zoe, yan] = await Promise.all([registerApi(request, 'zoe', 'Zoe'), registerApi(request, 'yan', 'Yan')])
  const dm = await apiPost(request, yan, '/conversations/direct', { user_id: zoe.id })
  await apiPost(request, yan, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'before the crash' })

  // Which replica takes Zoe's socket: the one whose connection gauge goes up.
  const before = await connectionsPerNode(request)
  const ctx = await contextFor(browser, zoe)
  const page = await ctx.newPage()
  await page.goto(`/c/${dm.id}`)
  await waitConnected(page)
  await expect(page.getByTestId('message-body').getByText('before the crash')).toBeVisible()
  let victim = ''
  await expect
    .poll(async () => {
      const now = await connectionsPerNode(request)
      victim = Object.keys(now).find((n) => now[n]! > (before[n] ?? 0)) ?? ''
      return victim
    }, { message: 'the replica holding the page socket' })
    .not.toBe('')
  const survivor = wsNodes().find((n) => n.node !== victim)!.node
  const survivorBefore = (await connectionsPerNode(request))[survivor]!

  try {
    process.kill(pidOf(victim), 'SIGKILL')
    // Messages sent while the page is cut off, and while it comes back.
    const sends = (async () => {
      for (let i = 1; i <= COUNT; i++) {
        await apiPost(request, yan, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: `during failover ${i}` })
        await new Promise((r) => setTimeout(r, 100))
      }
    })()
    await expect(page.getByTestId('connection-banner')).toContainText('Reconnecting', { timeout: 10_000 })
    await page.screenshot({ path: screenshotPath('reconnecting.png') })
    await sends
    await waitConnected(page)
    await expect(page.getByTestId('connection-banner')).not.toContainText('Reconnecting')
    // The page is now on the survivor.
    await expect.poll(async () => (await connectionsPerNode(request))[survivor]).toBeGreaterThan(survivorBefore)

    // All of them, once each, in order.
    const bodies = page.getByTestId('message-body').filter({ hasText: /^during failover \d+$/ })
    await expect(bodies).toHaveCount(COUNT)
    const texts = await bodies.allTextContents()
    expect(texts).toEqual(Array.from({ length: COUNT }, (_, i) => `during failover ${i + 1}`))
    const banner = await page.evaluate(() => (window as unknown as { __bannerShown: number }).__bannerShown)
    expect(banner).toBeGreaterThan(0)

    // And one more through the socket of the new replica.
    await apiPost(request, yan, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'after the failover' })
    await expect(page.getByTestId('message-body').getByText('after the failover')).toBeVisible()
    await expect(page.getByTestId('message')).toHaveCount(COUNT + 2)
  } finally {
    await ctx.close()
    // Bring the killed replica back (starts only what is missing).
    clusterUp()
  }
})
