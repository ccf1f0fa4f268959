// Reactions: Uma reacts to Vic's message from the picker; Vic sees it live (message.updated over
// the socket), adds the same emoji, and both see the count; Uma takes hers back.
import { expect, test } from '@playwright/test'
import { apiPost, contextFor, message, registerApi, waitConnected } from './helpers'
import { randomUUID } from 'node:crypto'

test('a reaction is seen by the other user, counts and toggles', async ({ browser, request }) => {
  const [uma, vic] = await Promise.all([registerApi(request, 'uma', 'Uma'), registerApi(request, 'vic', 'Vic')])
  const dm = await apiPost(request, vic, '/conversations/direct', { user_id: uma.id })
  await apiPost(request, vic, `/conversations/${dm.id}/messages`, { client_id: randomUUID(), body: 'Lunch at noon?' })

  const [u, v] = await Promise.all(
    [uma, vic].map(async (s) => {
      const page = await (await contextFor(browser, s)).newPage()
      await page.goto(`/c/${dm.id}`)
      await waitConnected(page)
      return page
    }),
  )
  const onUma = message(u!, 'Lunch at noon?')
  const onVic = message(v!, 'Lunch at noon?')
  await expect(onVic).toBeVisible()

  await onUma.getByTestId('message-body').click()
  await onUma.getByRole('button', { name: 'React', exact: true }).click()
  await onUma.getByRole('button', { name: 'React with 🎉' }).click()
  await expect(onUma.getByTestId('reaction')).toHaveAttribute('aria-pressed', 'true')

  // Vic sees it without reloading, not as his own; he adds the same one.
  const party = onVic.locator('[data-testid=reaction][data-emoji="🎉"]')
  await expect(party.getByTestId('reaction-count')).toHaveText('1')
  await expect(party).toHaveAttribute('aria-pressed', 'false')
  await party.click()
  await expect(party.getByTestId('reaction-count')).toHaveText('2')
  await expect(onUma.getByTestId('reaction-count')).toHaveText('2')

  // Uma takes hers back: both see 1.
  await onUma.getByTestId('reaction').click()
  await expect(onUma.getByTestId('reaction')).toHaveAttribute('aria-pressed', 'false')
  await expect(party.getByTestId('reaction-count')).toHaveText('1')
})
