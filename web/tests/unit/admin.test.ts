import { describe, expect, it } from 'vitest'
import { appendPage, applyDecision, applyUser, decisionDone, isSuspended, reportedText, resolutionLabel, userLabel, withSender } from '../../app/utils/admin'
import { ApiError, signInError } from '../../app/utils/apiError'
import type { AdminUserDto, MessageDto, ReportDto, UserDto } from '../../app/utils/types'

const user = (id: number, username = `u${id}`, display_name = username): UserDto => ({
  id,
  username,
  display_name,
  bio: '',
  avatar_id: null,
  last_seen_at: null,
  created_at: '2026-01-01T00:00:00Z',
  status_text: null,
  status_emoji: null,
})

const adminUser = (id: number, suspended = false): AdminUserDto => ({
  user: user(id),
  role: 'user',
  suspended_at: suspended ? '2026-01-02T00:00:00Z' : null,
  suspension_reason: suspended ? 'spam' : null,
  send_limited_until: null,
})

const msg = (id: number, extra: Partial<MessageDto> = {}): MessageDto => ({
  id,
  conversation_id: 1,
  seq: id,
  sender_id: 2,
  client_id: `c${id}`,
  kind: 'text',
  body: `message ${id}`,
  attachment_id: null,
  reply_to_id: null,
  edited_at: null,
  deleted_at: null,
  created_at: '2026-01-01T00:00:00Z',
  reactions: [],
  change_version: 0,
  ...extra,
})

const report = (id: number, messageId: number, extra: Partial<ReportDto> = {}): ReportDto => ({
  id,
  reason: 'spam',
  created_at: '2026-01-01T00:00:00Z',
  message: msg(messageId),
  sender: adminUser(2),
  reporter: user(3),
  resolved_at: null,
  resolution: null,
  ...extra,
})

describe('reportedText', () => {
  it('shows text, media labels with captions, and tombstones', () => {
    expect(reportedText(msg(1, { body: 'buy cheap watches' }))).toEqual({ text: 'buy cheap watches', deleted: false })
    expect(reportedText(msg(1, { kind: 'image', body: '' }))).toEqual({ text: '📷 Photo', deleted: false })
    expect(reportedText(msg(1, { kind: 'image', body: 'look' })).text).toBe('📷 Photo: look')
    expect(reportedText(msg(1, { kind: 'voice', body: '' })).text).toBe('🎤 Voice message')
    const file = { id: 9, content_type: 'application/pdf', size: 1, file_name: 'a.pdf', width: null, height: null, duration_ms: null, has_thumbnail: false }
    expect(reportedText(msg(1, { kind: 'file', body: '', attachment: file })).text).toBe('📎 a.pdf')
    expect(reportedText(msg(1, { body: '', deleted_at: '2026-01-01T00:00:00Z' }))).toEqual({ text: 'Message deleted', deleted: true })
  })
})

describe('labels', () => {
  it('names resolutions, decisions and users', () => {
    expect(resolutionLabel(null)).toBe('Open')
    expect(resolutionLabel('user_suspended')).toBe('Sender suspended')
    expect(resolutionLabel('dismissed')).toBe('Dismissed')
    expect(decisionDone('delete_message')).toBe('Message deleted')
    expect(userLabel(user(1, 'ann', 'Ann'))).toBe('Ann (@ann)')
    expect(userLabel(user(1, 'ann', 'ann'))).toBe('@ann')
    expect(isSuspended(adminUser(1, true))).toBe(true)
    expect(isSuspended(adminUser(1))).toBe(false)
  })
})

describe('applyDecision', () => {
  const suspendedSender = adminUser(2, true)
  const resolved = report(1, 10, {
    message: msg(10, { body: '', deleted_at: '2026-01-03T00:00:00Z' }),
    sender: suspendedSender,
    resolved_at: '2026-01-03T00:00:00Z',
    resolution: 'user_suspended',
  })

  it('removes every open report of the message from the open queue and updates the sender', () => {
    const items = [report(1, 10), report(2, 11), report(3, 10)]
    const out = applyDecision(items, resolved, 'open')
    expect(out.map((r) => r.id)).toEqual([2])
    expect(out[0]!.sender).toEqual(suspendedSender)
  })

  it('resolves the same-message reports in place in the full list', () => {
    const other = report(4, 12, { sender: adminUser(5) })
    const items = [report(1, 10), report(3, 10), other]
    const out = applyDecision(items, resolved, 'all')
    expect(out.map((r) => [r.id, r.resolution])).toEqual([
      [1, 'user_suspended'],
      [3, 'user_suspended'],
      [4, null],
    ])
    expect(out[1]!.message.deleted_at).not.toBeNull()
    expect(out[2]).toBe(other)
  })

  it('keeps earlier resolutions of the same message as they were', () => {
    const old = report(5, 10, { resolved_at: '2026-01-02T00:00:00Z', resolution: 'dismissed' })
    const out = applyDecision([old, report(1, 10)], resolved, 'all')
    expect(out[0]!.resolution).toBe('dismissed')
    expect(out[1]!.resolution).toBe('user_suspended')
  })
})

describe('users list', () => {
  it('replaces a user, and drops a reinstated one from "suspended only"', () => {
    const list = [adminUser(1, true), adminUser(2, true)]
    expect(applyUser(list, adminUser(1), false).map((u) => isSuspended(u))).toEqual([false, true])
    expect(applyUser(list, adminUser(1), true).map((u) => u.user.id)).toEqual([2])
    expect(applyUser(list, adminUser(3, true), true)).toEqual(list)
  })

  it('shows a new suspension on the sender of every report', () => {
    const out = withSender([report(1, 10), report(2, 11, { sender: adminUser(7) })], adminUser(2, true))
    expect(out.map((r) => isSuspended(r.sender))).toEqual([true, false])
  })

  it('appends pages without repeating rows', () => {
    expect(appendPage([1, 2], [2, 3], (x) => x)).toEqual([1, 2, 3])
  })
})

describe('signInError', () => {
  it('says clearly that the account is suspended', () => {
    expect(signInError(new ApiError(403, 'account_suspended', 'this account is suspended'))).toBe(
      'This account is suspended. Contact an administrator.',
    )
    expect(signInError(new ApiError(401, 'invalid_credentials', 'x'))).toBe('Wrong username or password.')
    expect(signInError(new ApiError(0, 'network', 'network error'))).toMatch(/Cannot reach/)
  })
})
