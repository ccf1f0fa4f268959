// A group of three: created from the UI, a message reaches everyone, "seen by" lists both
// readers; group settings show the members with roles and make an invite link.
import { expect, test } from '@playwright/test'
import { contextFor, message, registerApi, screenshotPath, sendMessage, waitConnected } from './helpers'

test('a group of three: everyone sees the message, seen-by lists the readers', async ({ browser, request }) => {
  const [ann, ben, cat] = await Promise.all([
    registerApi(request, 'ann', 'Ann'),
    registerApi(request, 'ben', 'Ben'),
    registerApi(request, 'cat', 'Cat'),
  ])
  const pages = await Promise.all(
    [ann, ben, cat].map(async (s) => {
      const ctx = await contextFor(browser, s)
      const page = await ctx.newPage()
      await page.goto('/')
      await waitConnected(page)
      return page
    }),
  )
  const [a, b, c] = pages as [typeof pages[0], typeof pages[0], typeof pages[0]]

  // Ann creates the group with Ben and Cat picked through the user search.
  await a.getByRole('button', { name: 'New group' }).click()
  const dialog = a.getByRole('dialog', { name: 'New group' })
  await dialog.getByLabel('Group name').fill('Project X')
  for (const s of [ben, cat]) {
    await dialog.getByRole('searchbox', { name: 'Add members' }).fill(s.username)
    await dialog.getByTestId(`pick-${s.username}`).click()
  }
  await expect(dialog.getByTestId('picked-members').getByRole('listitem')).toHaveCount(2)
  await dialog.getByRole('button', { name: 'Create group' }).click()
  await expect(a.getByTestId('chat-title')).toHaveText('Project X')
  await expect(a.getByRole('navigation', { name: 'Channels' })).toContainText('#general')

  // Ben and Cat get the group in their sidebars (conversation.updated) and open it.
  for (const p of [b, c]) {
    const row = p.getByTestId('conversation-list').getByRole('listitem').filter({ hasText: 'Project X' })
    await expect(row).toBeVisible()
    await row.getByRole('link').click()
    await expect(p.getByTestId('chat-title')).toHaveText('Project X')
  }

  await sendMessage(a, 'Kick-off at 10')
  for (const p of [b, c]) {
    const m = message(p, 'Kick-off at 10')
    await expect(m).toBeVisible()
    await expect(m).toContainText('Ann') // sender name in groups
  }
  // Both read it while their chat is open: Ann's message says so.
  const seen = message(a, 'Kick-off at 10').getByTestId('seen-by')
  await expect(seen).toContainText('Ben')
  await expect(seen).toContainText('Cat')
  await expect(message(a, 'Kick-off at 10').getByTestId('tick')).toHaveAttribute('data-state', 'read')

  // A reply from Ben quotes the message.
  await message(b, 'Kick-off at 10').getByTestId('message-body').click()
  await message(b, 'Kick-off at 10').getByRole('button', { name: 'Reply' }).click()
  await sendMessage(b, 'I will be there')
  await expect(message(a, 'I will be there').getByTestId('reply-quote')).toContainText('Kick-off at 10')
  await a.screenshot({ path: screenshotPath('group-seen-by.png') })

  // Group settings: roles and an invite link.
  await a.getByTestId('group-settings-link').click()
  await expect(a.getByTestId('group-members').getByRole('listitem')).toHaveCount(3)
  await a.getByRole('button', { name: 'Create link' }).click()
  await expect(a.getByTestId('invite-link')).toHaveValue(/\/invite\/.+/)

  // Dan opens the invite link and joins; Ann's member list follows (conversation.updated).
  const link = await a.getByTestId('invite-link').inputValue()
  const dan = await registerApi(request, 'dan', 'Dan')
  const d = await (await contextFor(browser, dan)).newPage()
  await d.goto(new URL(link).pathname)
  await d.getByTestId('accept-invite').click()
  await expect(d.getByTestId('chat-title')).toHaveText('Project X')
  await expect(message(d, 'Kick-off at 10')).toBeVisible()
  await expect(a.getByTestId('group-members').getByRole('listitem')).toHaveCount(4)
  pages.push(d)

  for (const p of pages) await p.context().close()
})
