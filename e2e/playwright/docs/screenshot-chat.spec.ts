// The README's picture of the app (docs/screenshot-chat.png): Alice's chat with Bob open, with a
// sidebar of a few chats (a group, an unread one), read ticks, a reply, a reaction and Bob online.
// Everything is made through the REST API first; Bob's browser reads the chat, then Alice's
// browser is photographed. The accounts have plain names (alice.martin, ...): registered on the
// first run, signed in on later ones, whose chats start from a cleared history.
// Run: e2e/run-browser-tests.sh --config playwright.docs.config.ts
import { expect, test, type APIRequestContext } from '@playwright/test'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { BASE, PASSWORD, ROOT, apiPost, contextFor, message, waitConnected, type Session } from '../specs/helpers'

const OUT = path.join(ROOT, 'docs/screenshot-chat.png')
const GROUP = 'Weekend trip'

interface Conversation { id: number; kind: string; group_id: number | null; group_name: string | null }

/** Registers the account, or signs it in when a previous run registered it. */
async function account(request: APIRequestContext, username: string, displayName: string): Promise<Session> {
  let res = await request.post(`${BASE}/api/auth/register`, { data: { username, password: PASSWORD, display_name: displayName } })
  if (res.status() === 409) res = await request.post(`${BASE}/api/auth/login`, { data: { username, password: PASSWORD } })
  expect(res.ok(), `${username}: ${res.status()} ${await res.text()}`).toBe(true)
  const t = await res.json()
  return { id: t.user.id, username, access_token: t.access_token, refresh_token: t.refresh_token }
}

async function call(request: APIRequestContext, who: Session, method: 'GET' | 'PATCH' | 'PUT', url: string, data?: unknown) {
  const res = await request.fetch(`${BASE}/api${url}`, { method, data, headers: { authorization: `Bearer ${who.access_token}` } })
  expect(res.ok(), `${method} ${url} -> ${res.status()}`).toBe(true)
  return res.json()
}

/** Clears the history of every chat of `who` (earlier runs' messages), returning the chats. */
async function freshStart(request: APIRequestContext, who: Session): Promise<Conversation[]> {
  const page: { items: Conversation[] } = await call(request, who, 'GET', '/conversations?limit=200')
  for (const c of page.items) await apiPost(request, who, `/conversations/${c.id}/clear`)
  return page.items
}

function send(request: APIRequestContext, from: Session, conversation: number, body: string, replyTo?: number) {
  return apiPost(request, from, `/conversations/${conversation}/messages`, { client_id: randomUUID(), kind: 'text', body, reply_to_id: replyTo })
}

test('the chat view for the README', async ({ browser, request }) => {
  const alice = await account(request, 'alice.martin', 'Alice Martin')
  const bob = await account(request, 'bob.chen', 'Bob Chen')
  const carol = await account(request, 'carol.diaz', 'Carol Diaz')
  const dan = await account(request, 'dan.okafor', 'Dan Okafor')
  await call(request, bob, 'PATCH', '/me', { status_text: 'Shipping the release' })
  const earlier = await freshStart(request, alice)
  await freshStart(request, bob)

  // Older chats first, so the one with Bob is the newest in the sidebar.
  const known = earlier.find((c) => c.kind === 'channel' && c.group_name === GROUP)
  const channel = known?.id ?? (await apiPost(request, alice, '/groups', { name: GROUP, member_ids: [bob.id, carol.id, dan.id] })).channels[0].id
  await send(request, carol, channel, 'Train tickets are booked: Saturday 8:40 from the central station.')
  await send(request, dan, channel, 'I will bring the board games.')
  const withDan = await apiPost(request, alice, '/conversations/direct', { user_id: dan.id })
  await send(request, dan, withDan.id, 'Can you send me the slides from this morning?')
  await send(request, alice, withDan.id, 'Sure, they are in the shared folder.')
  const withCarol = await apiPost(request, carol, '/conversations/direct', { user_id: alice.id })
  await send(request, carol, withCarol.id, 'Lunch tomorrow?')
  await send(request, carol, withCarol.id, 'The new place next to the office has a terrace.')

  const chat = (await apiPost(request, alice, '/conversations/direct', { user_id: bob.id })).id
  await send(request, bob, chat, 'Morning! Did the load test finish overnight?')
  const done = await send(request, alice, chat, 'It did: 10,000 messages sent, every one of them delivered.')
  await send(request, bob, chat, 'Great. Even with a ws replica killed halfway?')
  await send(request, alice, chat, 'Yes, the clients reconnected to the other replica and fetched the gap by seq.')
  await call(request, bob, 'PUT', `/messages/${done.id}/reactions/${encodeURIComponent('❤️')}`)
  const ask = await send(request, bob, chat, 'Then I will tag the release this afternoon.')
  await send(request, alice, chat, 'Perfect, I will update the changelog.', ask.id)

  // Bob reads the chat in his browser (blue ticks on Alice's side) and stays online.
  const bobContext = await contextFor(browser, bob)
  const b = await bobContext.newPage()
  await b.goto(`/c/${chat}`)
  await waitConnected(b)
  await expect(message(b, 'Perfect, I will update the changelog.')).toBeVisible()

  const aliceContext = await contextFor(browser, alice, { viewport: { width: 1280, height: 800 } })
  const a = await aliceContext.newPage()
  await a.goto(`/c/${chat}`)
  await waitConnected(a)
  const last = message(a, 'Perfect, I will update the changelog.')
  await expect(last.getByTestId('tick')).toHaveAttribute('data-state', 'read')
  await expect(a.locator('header').getByTestId('online-dot')).toBeVisible()
  await expect(a.getByTestId('conversation-list').getByTestId('unread-badge').first()).toContainText('2')
  await a.screenshot({ path: OUT })
  await Promise.all([aliceContext.close(), bobContext.close()])
})
