// The README gallery's profile panel (docs/screenshot-profile.png): Bob opens Alice's profile
// from their chat's header: her photo, status, bio and the group they share. The accounts are
// those of screenshot-chat.spec.ts (registered on the first run, signed in on later ones).
// Run: e2e/run-browser-tests.sh --config playwright.docs.config.ts
import { expect, test, type APIRequestContext } from '@playwright/test'
import path from 'node:path'
import { BASE, PASSWORD, ROOT, apiPost, contextFor, sunsetPng, waitConnected, type Session } from '../specs/helpers'

const OUT = path.join(ROOT, 'docs/screenshot-profile.png')

async function account(request: APIRequestContext, username: string, displayName: string): Promise<Session> {
  let res = await request.post(`${BASE}/api/auth/register`, { data: { username, password: PASSWORD, display_name: displayName } })
  if (res.status() === 409) res = await request.post(`${BASE}/api/auth/login`, { data: { username, password: PASSWORD } })
  expect(res.ok(), `${username}: ${res.status()} ${await res.text()}`).toBe(true)
  const t = await res.json()
  return { id: t.user.id, username, access_token: t.access_token, refresh_token: t.refresh_token }
}

test('the profile panel for the README gallery', async ({ browser, request }) => {
  const alice = await account(request, 'alice.martin', 'Alice Martin')
  const bob = await account(request, 'bob.chen', 'Bob Chen')
  const auth = (s: Session) => ({ authorization: `Bearer ${s.access_token}` })
  const me = await request.patch(`${BASE}/api/me`, {
    headers: auth(alice),
    data: { bio: 'Backend engineer. Sailing on weekends.', status_emoji: '⛵', status_text: 'Out sailing until Monday' },
  })
  expect(me.ok()).toBe(true)
  const photo = await request.post(`${BASE}/api/avatars/me`, {
    headers: auth(alice),
    multipart: { file: { name: 'sunset.png', mimeType: 'image/png', buffer: sunsetPng() } },
  })
  expect(photo.ok(), `avatar: ${photo.status()}`).toBe(true)
  const groups: { items: { kind: string; group_name: string | null }[] } = await (
    await request.get(`${BASE}/api/conversations?limit=200`, { headers: auth(bob) })
  ).json()
  if (!groups.items.some((c) => c.kind === 'channel' && c.group_name === 'Weekend trip')) {
    await apiPost(request, alice, '/groups', { name: 'Weekend trip', member_ids: [bob.id] })
  }
  const chat = (await apiPost(request, bob, '/conversations/direct', { user_id: alice.id })).id

  const context = await contextFor(browser, bob, { viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  await page.goto(`/c/${chat}`)
  await waitConnected(page)
  await page.getByTestId('chat-avatar').click()
  const panel = page.getByTestId('profile-panel')
  await expect(panel.getByTestId('profile-groups')).toContainText('Weekend trip')
  await expect.poll(() => panel.getByTestId('avatar-image').first().evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256)
  await page.screenshot({ path: OUT })
  await context.close()
})
