// Message search: words found in a chat I am in, the match highlighted, a click opens the chat
// at the message; a chat I am not in is never searched. Word forms, prefixes while typing, file
// names, the filters (chat, sender, days, content), and a result deep in a long history opened
// in context (the page around it, highlighted, newer pages on scrolling down, live again at the end).
import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { apiPost, BASE, contextFor, registerApi, screenshotPath, uniqueName, waitConnected, type Session } from './helpers'
import { randomUUID } from 'node:crypto'

function send(request: APIRequestContext, who: Session, cid: number, body: string) {
  return apiPost(request, who, `/conversations/${cid}/messages`, { client_id: randomUUID(), body })
}

async function sendFile(request: APIRequestContext, who: Session, cid: number, name: string) {
  const up = await request.post(`${BASE}/api/media?kind=file`, {
    headers: { authorization: `Bearer ${who.access_token}` },
    multipart: { file: { name, mimeType: 'application/octet-stream', buffer: Buffer.from('the plan') } },
  })
  expect(up.status(), await up.text()).toBe(201)
  const media = await up.json()
  return apiPost(request, who, `/conversations/${cid}/messages`, { client_id: randomUUID(), kind: 'file', body: '', attachment_id: media.id })
}

async function openSearch(page: Page) {
  await page.goto('/')
  await waitConnected(page)
  await page.getByRole('link', { name: 'Search messages' }).click()
}

/** A token of letters only (one word for the text parser, stemmed like any word). */
function uniqueWord(prefix: string): string {
  return uniqueName(prefix).replace(/[^a-z]/g, '') + 'x'
}

test('search finds a message, highlights the match and opens the chat', async ({ browser, request }) => {
  const [ivy, jon, kim] = await Promise.all([registerApi(request, 'ivy', 'Ivy'), registerApi(request, 'jon', 'Jon'), registerApi(request, 'kim', 'Kim')])
  const word = uniqueName('pineapple').replace(/_/g, '') // one token, unique per run
  const mine = await apiPost(request, jon, '/conversations/direct', { user_id: ivy.id })
  const notMine = await apiPost(request, jon, '/conversations/direct', { user_id: kim.id })
  for (const [dm, body] of [[mine, `the ${word} budget is approved`], [mine, 'unrelated'], [notMine, `${word} secret for Kim`]] as const) {
    await apiPost(request, jon, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body })
  }

  const page = await (await contextFor(browser, ivy)).newPage()
  await openSearch(page)
  await page.getByRole('searchbox', { name: 'Search messages' }).fill(word)
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  const hits = page.getByTestId('search-hit')
  await expect(hits).toHaveCount(1)
  await expect(hits.first().locator('mark')).toHaveText(word)
  await expect(hits.first()).toContainText('budget is approved')
  await expect(hits.first()).toContainText('Jon')

  await hits.first().click()
  await expect(page.getByTestId('chat-title')).toHaveText('Jon')
  await expect(page.getByTestId('message-body').getByText(`the ${word} budget is approved`)).toBeVisible()
})

test('word forms, prefixes while typing, file names and the filters narrow the results', async ({ browser, request }) => {
  const [ivy, jon, kim] = await Promise.all([registerApi(request, 'ivy', 'Ivy'), registerApi(request, 'jon', 'Jon'), registerApi(request, 'kim', 'Kim')])
  const word = uniqueWord('kumquat')
  const dm = await apiPost(request, jon, '/conversations/direct', { user_id: ivy.id })
  const team = await apiPost(request, ivy, '/groups', { name: 'Fruit team', member_ids: [kim.id] })
  await send(request, jon, dm.id, `${word} planning meeting on Monday`)
  await sendFile(request, jon, dm.id, `${word}-budget_final.pdf`)
  await send(request, ivy, dm.id, `${word} notes at https://example.com/notes`)
  await send(request, kim, team.channels[0].id, `${word} tasting in the team channel`)

  const page = await (await contextFor(browser, ivy)).newPage()
  await openSearch(page)
  const box = page.getByRole('searchbox', { name: 'Search messages' })
  const hits = page.getByTestId('search-hit')
  // Results while typing: the last word matches as a prefix, no button needed.
  await box.fill(word.slice(0, -3))
  await expect(hits).toHaveCount(4)
  // Word forms: "meetings" finds "meeting"; the match is marked in the snippet.
  await box.fill(`${word} meetings`)
  await expect(hits).toHaveCount(1)
  await expect(hits.first().locator('mark').filter({ hasText: 'meeting' })).toHaveCount(1)
  // A file's name is searched.
  await box.fill(`${word}-budget_final.pdf`)
  await expect(hits).toHaveCount(1)
  await expect(hits.first()).toContainText(`${word}-budget_final.pdf`)

  await box.fill(word)
  await expect(hits).toHaveCount(4)
  const filters = page.getByTestId('search-filters')
  await filters.getByLabel('Chat').selectOption({ label: 'Jon' })
  await expect(hits).toHaveCount(3)
  await filters.getByLabel('Sender').selectOption({ label: 'Me' })
  await expect(hits).toHaveCount(1)
  await expect(hits.first()).toContainText('https://example.com/notes')
  await filters.getByLabel('Sender').selectOption({ label: 'Anyone' })
  await filters.getByLabel('Contains').selectOption({ label: 'Files' })
  await expect(hits).toHaveCount(1)
  await expect(hits.first()).toContainText('budget_final.pdf')
  await filters.getByLabel('Contains').selectOption({ label: 'Links' })
  await expect(hits).toHaveCount(1)
  await expect(hits.first()).toContainText('example.com')
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await expect(hits).toHaveCount(4)
  await filters.getByLabel('Chat').selectOption({ label: 'Fruit team' })
  await filters.getByLabel('Sender').selectOption({ label: 'Kim' })
  await expect(hits).toHaveCount(1)
  await expect(hits.first()).toContainText('tasting in the team channel')
  await page.getByRole('button', { name: 'Clear filters' }).click()
  // Days: everything was sent today; until yesterday finds nothing, since today all of it.
  const day = (offset: number) => {
    const d = new Date()
    d.setDate(d.getDate() + offset)
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
  }
  await filters.getByLabel('Until day').fill(day(-1))
  await expect(page.getByTestId('search-empty')).toBeVisible()
  await filters.getByLabel('Until day').fill(day(0))
  await filters.getByLabel('Since day').fill(day(0))
  await expect(hits).toHaveCount(4)
  await page.screenshot({ path: screenshotPath('search-filters.png') })
})

// The open-in-context view: the page around the result (GET …/messages?around=), scrolled to it
// and highlighted; newer pages on scrolling down until the list is live again; "Jump to newest".
test('a result deep in a long chat opens in context, highlighted, and the chat goes live again at its end', async ({ browser, request }) => {
  const [ivy, jon] = await Promise.all([registerApi(request, 'ivy', 'Ivy'), registerApi(request, 'jon', 'Jon')])
  const word = uniqueWord('quince')
  const dm = await apiPost(request, jon, '/conversations/direct', { user_id: ivy.id })
  const target = `the ${word} order shipped last spring`
  for (let i = 1; i <= 150; i++) await send(request, jon, dm.id, i === 20 ? target : `filler message ${i}`)

  const page = await (await contextFor(browser, ivy)).newPage()
  await openSearch(page)
  await page.getByRole('searchbox', { name: 'Search messages' }).fill(word)
  const hits = page.getByTestId('search-hit')
  await expect(hits).toHaveCount(1)
  await hits.first().click()

  await expect(page).toHaveURL(new RegExp(`/c/${dm.id}\\?seq=20$`))
  const focused = page.locator('[data-focused="true"]')
  await expect(focused).toHaveCount(1)
  await expect(focused.getByTestId('message-body')).toHaveText(target)
  await expect(focused).toBeInViewport()
  // The history around it: its neighbours, not the newest messages.
  await expect(page.getByTestId('message-body').getByText('filler message 19', { exact: true })).toBeAttached()
  await expect(page.getByTestId('message-body').getByText('filler message 150', { exact: true })).toHaveCount(0)
  await page.screenshot({ path: screenshotPath('search-in-context.png') })

  // Older pages load upwards as usual; newer ones downwards until the newest message.
  const scroller = page.getByTestId('message-scroller')
  const newest = page.getByTestId('message-body').getByText('filler message 150', { exact: true })
  await expect(async () => {
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await expect(newest).toBeAttached({ timeout: 1000 })
  }).toPass({ timeout: 30_000 })
  await expect(page.getByTestId('jump-to-newest')).toHaveCount(0)
  // At the end the list is live: a new message arrives without a reload.
  await send(request, jon, dm.id, `live again ${word}`)
  await expect(page.getByTestId('message-body').getByText(`live again ${word}`)).toBeVisible()
  const seqs = await page.getByTestId('message').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.seq)))
  expect(seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1), `no hole in ${seqs.join(',')}`).toBe(true)

  // Jump to newest from another result: the newest page replaces the window.
  await page.goto(`/c/${dm.id}?seq=5`)
  await expect(page.locator('[data-focused="true"]').getByTestId('message-body')).toHaveText('filler message 5')
  await page.getByTestId('jump-to-newest').click()
  await expect(page).toHaveURL(new RegExp(`/c/${dm.id}$`))
  await expect(page.getByTestId('message-body').getByText(`live again ${word}`)).toBeVisible()
  await expect(page.getByTestId('message-body').getByText('filler message 5', { exact: true })).toHaveCount(0)
})
