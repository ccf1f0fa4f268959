// Resync converges: Ana's page goes offline while Bo edits one message, deletes another and
// reacts to a third. Back online, the page shows all three without a reload: the catch-up after
// the socket's `ready` asks for the changes since the version it holds (`changed_since`), not
// only for new seqs. And what disappeared for Ana meanwhile (her other device cleared the chat;
// retention works the same way) goes: the sidebar's `cleared_seq`.
import { expect, test, type APIRequestContext } from '@playwright/test'
import { randomUUID } from 'node:crypto'
import { apiPost, BASE, contextFor, message, registerApi, waitConnected, type Session } from './helpers'

async function call(request: APIRequestContext, session: Session, method: 'PATCH' | 'PUT' | 'DELETE', url: string, data?: unknown) {
  const res = await request.fetch(`${BASE}/api${url}`, { method, data, headers: { authorization: `Bearer ${session.access_token}` } })
  expect(res.ok(), `${method} ${url} -> ${res.status()}`).toBe(true)
}

test('a page that was offline shows the edits, deletions and reactions it missed', async ({ browser, request }) => {
  const [ana, bo] = await Promise.all([registerApi(request, 'ana', 'Ana'), registerApi(request, 'bo', 'Bo')])
  const dm = await apiPost(request, bo, '/conversations/direct', { user_id: ana.id })
  const ids: Record<string, number> = {}
  for (const body of ['Draft plan', 'Wrong chat, sorry', 'Pizza tonight?', 'Still here']) {
    ids[body] = (await apiPost(request, bo, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body })).id
  }

  const context = await contextFor(browser, ana)
  const page = await context.newPage()
  await page.goto(`/c/${dm.id}`)
  await waitConnected(page)
  await expect(message(page, 'Wrong chat, sorry')).toBeVisible()
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true))

  // Offline: the page drops its socket, so nothing Bo does now reaches it live.
  await context.setOffline(true)
  await expect(page.getByTestId('connection-banner')).toHaveAttribute('data-socket', 'reconnecting')
  await call(request, bo, 'PATCH', `/messages/${ids['Draft plan']}`, { body: 'Final plan' })
  await call(request, bo, 'DELETE', `/messages/${ids['Wrong chat, sorry']}`)
  await call(request, bo, 'PUT', `/messages/${ids['Pizza tonight?']}/reactions/${encodeURIComponent('🎉')}`)
  await expect(message(page, 'Draft plan')).toBeVisible()

  // Back online: all three show, in the same document.
  await context.setOffline(false)
  await waitConnected(page)
  const edited = message(page, 'Final plan')
  await expect(edited).toBeVisible()
  await expect(edited).toContainText('edited')
  await expect(message(page, 'Draft plan')).toHaveCount(0)
  await expect(message(page, 'Wrong chat, sorry')).toHaveCount(0)
  await expect(page.getByTestId('message-deleted')).toHaveCount(1)
  const party = message(page, 'Pizza tonight?').locator('[data-testid=reaction][data-emoji="🎉"]')
  await expect(party.getByTestId('reaction-count')).toHaveText('1')
  await expect(message(page, 'Still here')).toBeVisible()
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true)
  await context.close()
})

test('history cleared on another device while the page was offline is gone when it is back', async ({ browser, request }) => {
  const [ana, bo] = await Promise.all([registerApi(request, 'ana', 'Ana'), registerApi(request, 'bo', 'Bo')])
  const dm = await apiPost(request, bo, '/conversations/direct', { user_id: ana.id })
  await apiPost(request, bo, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'Old news' })

  const context = await contextFor(browser, ana)
  const page = await context.newPage()
  await page.goto(`/c/${dm.id}`)
  await waitConnected(page)
  await expect(message(page, 'Old news')).toBeVisible()

  await context.setOffline(true)
  await expect(page.getByTestId('connection-banner')).toHaveAttribute('data-socket', 'reconnecting')
  // Ana's other device clears the chat; Bo writes again.
  await apiPost(request, ana, `/conversations/${dm.id}/clear`)
  await apiPost(request, bo, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'Fresh news' })

  await context.setOffline(false)
  await waitConnected(page)
  await expect(message(page, 'Fresh news')).toBeVisible()
  await expect(message(page, 'Old news')).toHaveCount(0)
  await context.close()
})
