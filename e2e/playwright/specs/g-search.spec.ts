// Message search: words found in a chat I am in, the match highlighted, a click opens the chat;
// a chat I am not in is never searched.
import { expect, test } from '@playwright/test'
import { apiPost, contextFor, registerApi, uniqueName, waitConnected } from './helpers'
import { randomUUID } from 'node:crypto'

test('search finds a message, highlights the match and opens the chat', async ({ browser, request }) => {
  const [ivy, jon, kim] = await Promise.all([registerApi(request, 'ivy', 'Ivy'), registerApi(request, 'jon', 'Jon'), registerApi(request, 'kim', 'Kim')])
  const word = uniqueName('pineapple').replace(/_/g, '') // one token, unique per run
  const mine = await apiPost(request, jon, '/conversations/direct', { user_id: ivy.id })
  const notMine = await apiPost(request, jon, '/conversations/direct', { user_id: kim.id })
  for (const [dm, body] of [[mine, `the ${word} budget is approved`], [mine, 'unrelated'], [notMine, `${word} secret for Kim`]] as const) {
    await apiPost(request, jon, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body })
  }

  const page = await (await contextFor(browser, ivy)).newPage()
  await page.goto('/')
  await waitConnected(page)
  await page.getByRole('link', { name: 'Search messages' }).click()
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
