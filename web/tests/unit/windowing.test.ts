import { describe, expect, it } from 'vitest'
import { RowLayout } from '../../app/utils/windowing'
import { firstUnreadSeq, unreadAboveLoaded, withUnreadDivider, UNREAD_KEY } from '../../app/utils/unread'
import { withDaySeparators } from '../../app/utils/format'
import { messageKey, type ChatMessage } from '../../app/utils/messages'
import { message as msg } from './fixtures'

const keys = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`)

describe('RowLayout', () => {
  it('adds measured heights and estimates the rest', () => {
    const layout = new RowLayout(keys(4), new Map([['r1', 100]]), 40)
    expect([0, 1, 2, 3, 4].map((i) => layout.offsetOf(i))).toEqual([0, 40, 140, 180, 220])
    expect(layout.total).toBe(220)
    expect(layout.rowAt(0)).toBe(0)
    expect(layout.rowAt(139)).toBe(1)
    expect(layout.rowAt(140)).toBe(2)
    expect(layout.rowAt(10_000)).toBe(3)
  })

  it('reuses the key index of the same keys when only heights change', () => {
    const k = keys(3)
    const first = new RowLayout(k, new Map(), 10)
    const next = new RowLayout(k, new Map([['r0', 30]]), 10, first)
    expect([next.indexOf('r2'), next.offsetOf(2)]).toEqual([2, 40])
    const other = new RowLayout(['x', ...k], new Map(), 10, next)
    expect(other.indexOf('r2')).toBe(3)
  })

  it('renders a bounded window of a long list', () => {
    const layout = new RowLayout(keys(3000), new Map(), 50)
    const r = layout.range(50 * 1500, 700, 700)
    expect(r.start).toBe(1500 - 14)
    expect(r.end).toBe(1500 + 14 + 14 + 1)
    expect(r.end - r.start).toBeLessThan(150)
    expect(layout.range(0, 700, 700)).toEqual({ start: 0, end: 29 })
    expect(new RowLayout([], new Map(), 50).range(0, 700, 700)).toEqual({ start: 0, end: 0 })
  })

  it('keeps the anchored row in place when rows are added above or measured', () => {
    const before = new RowLayout(keys(10).slice(5), new Map(), 50)
    const anchor = before.anchorAt(120)!
    expect(anchor).toEqual({ key: 'r7', delta: 20 })
    const after = new RowLayout(keys(10), new Map([['r2', 80]]), 50)
    expect(after.topFor(anchor)).toBe(7 * 50 + 30 + 20)
    expect(after.topFor({ key: 'gone', delta: 0 })).toBeNull()
  })

  it('anchors past the rows that move with additions (day separators)', () => {
    const layout = new RowLayout(['day-1', 'm1', 'm2'], new Map(), 30)
    expect(layout.anchorAt(10, (k) => !k.startsWith('day-'))).toEqual({ key: 'm1', delta: -20 })
    expect(new RowLayout(['day-1'], new Map(), 30).anchorAt(0, () => false)).toEqual({ key: 'day-1', delta: 0 })
  })
})

describe('unread divider', () => {
  const ME = 1
  const list: ChatMessage[] = [msg(1), msg(2, { sender_id: ME }), msg(3), msg(4)]

  it('finds the first unread message of someone else', () => {
    expect(firstUnreadSeq(list, 1, ME)).toBe(3)
    expect(firstUnreadSeq(list, 4, ME)).toBe(0)
    expect(firstUnreadSeq([msg(2, { sender_id: ME }), msg(3)], 0, ME)).toBe(3)
  })

  it('knows when the unread messages start above what is loaded', () => {
    expect(unreadAboveLoaded([msg(51), msg(52)], 10, 42, true)).toBe(true)
    expect(unreadAboveLoaded([msg(51), msg(52)], 50, 2, true)).toBe(false)
    expect(unreadAboveLoaded([msg(51), msg(52)], 10, 42, false)).toBe(false)
    expect(unreadAboveLoaded([msg(51)], 10, 0, true)).toBe(false)
  })

  it('goes above the day separator of the first unread message', () => {
    const days = [msg(1, { created_at: '2026-01-01T10:00:00Z' }), msg(2, { created_at: '2026-01-02T10:00:00Z' })]
    const timeline = withDaySeparators(days, messageKey)
    const rows = withUnreadDivider(timeline, 2)
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'unread', 'day', 'message'])
    expect(rows[2]!.key).toBe(UNREAD_KEY)
    expect(withUnreadDivider(timeline, 0)).toBe(timeline)
    expect(withUnreadDivider(timeline, 99)).toBe(timeline)
  })
})
