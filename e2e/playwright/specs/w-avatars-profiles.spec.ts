// Avatars and profiles across the two ws replicas: Ava (on one replica) uploads a photo on her
// profile page and sets a status; Ben (on the other replica), in their direct chat, sees both
// arrive live (`user.updated`, no reload) in the chat header and the sidebar, opens Ava's
// profile panel from the header (photo, name, username, status, bio, the group they share) and
// sees the initials come back when she removes the photo.
import { randomUUID } from 'node:crypto'
import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { apiPost, BASE, loginApi, openOnNode, registerApi, screenshotPath, sunsetPng, wsNodes, type Session } from './helpers'

async function patchMe(request: APIRequestContext, who: Session, body: unknown) {
  const res = await request.patch(`${BASE}/api/me`, { data: body, headers: { authorization: `Bearer ${who.access_token}` } })
  expect(res.ok(), `PATCH /me -> ${res.status()}`).toBe(true)
}

const header = (p: Page) => p.locator('header').filter({ has: p.getByTestId('chat-title') })

test('an avatar and a status reach the other replica live; the profile panel shows them', async ({ browser, request }) => {
  test.skip(wsNodes().length < 2, 'needs two ws replicas')
  const [ava, ben] = await Promise.all([registerApi(request, 'ava', 'Ava Stone'), registerApi(request, 'ben', 'Ben Ray')])
  await patchMe(request, ava, { bio: 'Sailing on weekends, shipping on weekdays.' })
  await apiPost(request, ava, '/groups', { name: 'Harbour crew', member_ids: [ben.id] })
  const dm = await apiPost(request, ben, '/conversations/direct', { user_id: ava.id })
  await apiPost(request, ben, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'See you at the harbour?' })

  const a = await openOnNode(browser, request, ava, '/profile')
  let b = await openOnNode(browser, request, ben, `/c/${dm.id}`)
  // least_conn puts the second socket on the other replica; if not, Ben opens another page
  // (the first one stays open so that least_conn sends the next socket elsewhere) in a session
  // of its own: a second browser with the same session would present a refresh token the first
  // one already rotated, which signs both out (reuse detection).
  for (let attempt = 0; b.node === a.node && attempt < 4; attempt++) {
    b = await openOnNode(browser, request, await loginApi(request, ben.username), `/c/${dm.id}`)
  }
  expect(b.node, 'Ava and Ben on different replicas').not.toBe(a.node)
  const w = b.page
  await expect(header(w).getByTestId('avatar-initials')).toHaveText('AS')

  // Ava: a photo and a status, from her profile page.
  await a.page.getByTestId('avatar-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: sunsetPng() })
  await expect(a.page.getByTestId('avatar-editor').getByRole('status')).toHaveText('Photo updated.')
  await expect(a.page.getByTestId('avatar-editor').getByTestId('avatar-image')).toBeVisible()
  await a.page.getByLabel('Status emoji').fill('⛵')
  await a.page.getByLabel('Status text').fill('Out sailing until Monday')
  await a.page.getByRole('button', { name: 'Save status' }).click()
  await expect(a.page.getByTestId('my-status')).toContainText('Out sailing until Monday')

  // Ben, on the other replica, without a reload: the photo in the header and the sidebar, the status.
  const headerPhoto = header(w).getByTestId('avatar-image')
  await expect(headerPhoto).toBeVisible({ timeout: 10_000 })
  await expect.poll(() => headerPhoto.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64)
  await expect(w.getByTestId(`conversation-${dm.id}`).getByTestId('avatar-image')).toBeVisible()
  await expect(w.getByTestId('chat-status')).toHaveText('⛵ Out sailing until Monday')
  await expect(w.getByTestId(`conversation-${dm.id}`).getByTestId('conversation-status-emoji')).toContainText('⛵')

  // The profile panel, from the header.
  await w.getByTestId('chat-avatar').click()
  const panel = w.getByTestId('profile-panel')
  await expect(panel.getByTestId('profile-name')).toHaveText('Ava Stone')
  await expect(panel.getByTestId('profile-username')).toHaveText(`@${ava.username}`)
  await expect(panel.getByTestId('user-status')).toHaveText('⛵ Out sailing until Monday')
  await expect(panel.getByTestId('profile-bio')).toHaveText('Sailing on weekends, shipping on weekdays.')
  await expect(panel.getByTestId('profile-groups')).toContainText('Harbour crew')
  const large = panel.getByTestId('avatar-image').first()
  await expect.poll(() => large.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(256)
  await expect(panel.getByTestId('profile-add-contact')).toBeVisible()
  await w.screenshot({ path: screenshotPath('avatars-profile.png') })

  // A status change reaches the open panel too.
  await a.page.getByLabel('Status text').fill('Back on Monday')
  await a.page.getByRole('button', { name: 'Save status' }).click()
  await expect(panel.getByTestId('user-status')).toHaveText('⛵ Back on Monday')

  // Add contact from the panel; then close it.
  await panel.getByTestId('profile-add-contact').click()
  await expect(panel.getByTestId('profile-add-contact')).toHaveCount(0)
  await w.keyboard.press('Escape')
  await expect(panel).toBeHidden()

  // Ava removes the photo: Ben's header shows her initials again, live.
  await a.page.getByTestId('avatar-remove').click()
  await expect(a.page.getByTestId('avatar-editor').getByRole('status')).toHaveText('Photo removed.')
  await expect(header(w).getByTestId('avatar-initials')).toHaveText('AS', { timeout: 10_000 })
})
