// Long histories: 3,000 messages in one chat keep a bounded DOM and smooth scrolling (the list
// is windowed), "Jump to first unread" loads back to the first unread message, and a chat opens
// at its first unread message under an "Unread messages" divider.
import { expect, test, type APIRequestContext } from '@playwright/test'
import { randomUUID } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { apiPost, contextFor, loginApi, registerApi, screenshotPath, waitConnected, type Session } from './helpers'

const TOTAL = 3000
/** Concurrent sends while seeding (the server assigns the seqs). */
const PARALLEL = 12

async function seed(request: APIRequestContext, from: Session, conversationId: number, first: number, count: number) {
  let next = first
  const worker = async () => {
    while (next < first + count) {
      const i = next++
      // Every seventh message has three lines: rows of different heights.
      const body = i % 7 === 0 ? `long ${i}\nsecond line\nthird line` : `long ${i}`
      const message = { client_id: randomUUID(), body }
      // A 502 of a reused upstream connection the server had just closed is retried: the same
      // client_id makes a second attempt of a stored message a no-op.
      for (let attempt = 1; ; attempt++) {
        try {
          await apiPost(request, from, `/conversations/${conversationId}/messages`, message)
          break
        } catch (e) {
          if (attempt >= 3 || !/-> 50[23] /.test(String(e))) throw e
        }
      }
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker))
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!
}

test('3,000 messages: bounded DOM, smooth scrolling, jump to the first unread', async ({ browser, request }) => {
  test.setTimeout(600_000)
  const [kim, lee] = await Promise.all([registerApi(request, 'kim', 'Kim'), registerApi(request, 'lee', 'Lee')])
  const dm = await apiPost(request, lee, '/conversations/direct', { user_id: kim.id })
  await seed(request, lee, dm.id, 1, TOTAL)

  const ctx = await contextFor(browser, kim)
  const page = await ctx.newPage()
  await page.goto(`/c/${dm.id}`)
  await waitConnected(page)
  const list = page.getByTestId('message-list')
  const rows = page.getByTestId('message')
  await expect(list).toHaveAttribute('data-loaded', '50')
  await expect(rows.last()).toBeInViewport()

  // Everything is unread: the first unread message is 2,950 messages above the first page.
  const jump = page.getByTestId('jump-to-unread')
  await jump.click()
  await expect(list).toHaveAttribute('data-loaded', String(TOTAL), { timeout: 120_000 })
  await expect(page.getByTestId('unread-divider')).toBeInViewport()
  await expect(page.locator('[data-testid="message"][data-seq="1"]')).toBeInViewport()
  await expect(jump).toHaveCount(0)

  const scroller = page.getByTestId('message-scroller')
  const domRows = async () => page.locator('[data-row-key]').count()
  expect(await domRows()).toBeLessThan(150)

  // The same page's frames without scrolling: what this machine gives at all (shared CI
  // machines under load are far from 60 fps; the bound below allows for that).
  const idle = await page.evaluate(async () => {
    const deltas: number[] = []
    let last = performance.now()
    await new Promise<void>((done) => {
      const step = (now: number) => {
        deltas.push(now - last)
        last = now
        if (deltas.length > 120) done()
        else requestAnimationFrame(step)
      }
      requestAnimationFrame(step)
    })
    return deltas.slice(1)
  })
  // Scroll through the whole history, 200 px a frame (a fast flick: 12,000 px/s), and time the frames.
  const frames = await scroller.evaluate(async (el) => {
    const deltas: number[] = []
    let last = performance.now()
    el.scrollTop = 0
    await new Promise<void>((done) => {
      const step = (now: number) => {
        deltas.push(now - last)
        last = now
        el.scrollTop += 200
        if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1 || deltas.length > 4000) done()
        else requestAnimationFrame(step)
      }
      requestAnimationFrame(step)
    })
    return deltas.slice(1)
  })
  const sorted = [...frames].sort((a, b) => a - b)
  const stats = {
    frames: frames.length,
    median: sorted[Math.floor(sorted.length / 2)]!.toFixed(1),
    p95: p95(frames).toFixed(1),
    max: sorted[sorted.length - 1]!.toFixed(1),
    domRows: await domRows(),
    idleP95: p95(idle).toFixed(1),
    loadPerCore: (loadavg()[0] / cpus().length).toFixed(1),
  }
  console.log(`long history: ${TOTAL} messages, scroll frames (ms) ${JSON.stringify(stats)}`)
  expect(frames.length).toBeGreaterThan(50)
  // 50 ms (at least 20 frames a second) on a machine with a core to spare; a machine whose cores
  // are oversubscribed (other builds and tests: load per core > 1) stretches every frame's work
  // by about that factor, and the bound with it. The DOM bound above is what windowing promises.
  const budget = 50 * Math.max(1, loadavg()[0] / cpus().length)
  expect(p95(frames)).toBeLessThan(Math.max(budget, 2 * p95(idle)))
  expect(await domRows()).toBeLessThan(150)
  await expect(page.locator(`[data-testid="message"][data-seq="${TOTAL}"]`)).toBeInViewport()

  // Up again: the rows in the DOM are a contiguous window, and a row keeps its place once measured.
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight / 2))
  await expect.poll(async () => {
    const seqs = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))))
    return seqs.length > 5 && seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1)
  }).toBe(true)
  expect(await domRows()).toBeLessThan(150)
  await ctx.close()

  // Read up to the end (another device), then 8 new messages: the chat opens at the divider.
  await apiPost(request, kim, `/conversations/${dm.id}/receipts`, { read_seq: TOTAL })
  await seed(request, lee, dm.id, TOTAL + 1, 8)
  const again = await contextFor(browser, await loginApi(request, kim.username))
  const page2 = await again.newPage()
  await page2.goto(`/c/${dm.id}`)
  await waitConnected(page2)
  const divider = page2.getByTestId('unread-divider')
  await expect(divider).toBeInViewport()
  const firstUnread = page2.locator(`[data-testid="message"][data-seq="${TOTAL + 1}"]`)
  await expect(firstUnread).toBeInViewport()
  // The divider sits right above the first unread message.
  const [d, m] = await Promise.all([divider.boundingBox(), firstUnread.boundingBox()])
  expect(m!.y).toBeGreaterThan(d!.y)
  await page2.screenshot({ path: screenshotPath('unread-divider.png') })
  await again.close()
})
