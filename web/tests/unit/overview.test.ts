import { describe, expect, it } from 'vitest'
import {
  channelIdsOf,
  chartBars,
  chartTicks,
  deletedGroupId,
  downChecks,
  healthOf,
  shortDay,
  usageLabel,
  usagePercent,
} from '../../app/utils/overview'

describe('the messages-per-day chart', () => {
  const days = [
    { day: '2026-12-04', count: 0 },
    { day: '2026-12-05', count: 5 },
    { day: '2026-12-06', count: 10 },
    { day: '2026-12-07', count: 1 },
  ]

  it('draws one bar per day, the tallest filling the height, none for an empty day', () => {
    const bars = chartBars(days, 400, 100, 2)
    expect(bars).toHaveLength(4)
    expect(bars.map((b) => b.height)).toEqual([0, 50, 100, 10])
    expect(bars.map((b) => b.y)).toEqual([100, 50, 0, 90])
    expect(bars.map((b) => b.x)).toEqual([1, 101, 201, 301])
    expect(bars[0]!.width).toBe(98)
  })

  it('keeps a tiny day visible and an all-empty chart flat', () => {
    const bars = chartBars([{ day: 'a', count: 1 }, { day: 'b', count: 1000 }], 10, 100)
    expect(bars[0]!.height).toBe(1)
    expect(chartBars([{ day: 'a', count: 0 }], 10, 100)[0]!.height).toBe(0)
    expect(chartBars([], 10, 100)).toEqual([])
  })

  it('labels the axis with 0, the middle and the top', () => {
    expect(chartTicks(days)).toEqual([0, 5, 10])
    expect(chartTicks([{ day: 'a', count: 1 }])).toEqual([0, 1])
    expect(chartTicks([])).toEqual([0])
  })

  it('names a day as the server counts it (UTC)', () => {
    expect(shortDay('2026-12-03', 'en-GB')).toBe('3 Dec')
  })
})

describe('node health', () => {
  it('reads ready, degraded and the rest', () => {
    expect(['ready', 'degraded', 'unavailable', 'unreachable'].map(healthOf)).toEqual(['ok', 'warn', 'down', 'down'])
  })

  it('lists the dependencies that are down', () => {
    expect(downChecks({ postgres: 'up', rabbitmq: 'down', memcached: 'down' })).toEqual(['memcached', 'rabbitmq'])
    expect(downChecks({})).toEqual([])
  })
})

describe('media usage', () => {
  it('says used of quota', () => {
    expect(usageLabel(0, 1024 ** 3)).toBe('0 B of 1 GB used')
    expect(usageLabel(5 * 1024 * 1024, null)).toBe('5 MB used')
    expect(usagePercent(512, 1024)).toBe(50)
    expect(usagePercent(5000, 1024)).toBe(100)
    expect(usagePercent(5, null)).toBe(0)
  })
})

describe('a deleted group', () => {
  it('is told by reason deleted with a group and no conversation', () => {
    expect(deletedGroupId({ reason: 'deleted', group_id: 7, conversation_id: null })).toBe(7)
    expect(deletedGroupId({ reason: 'deleted', group_id: 7, conversation_id: 12 })).toBeNull()
    expect(deletedGroupId({ reason: 'member_removed', group_id: 7, conversation_id: null })).toBeNull()
    expect(deletedGroupId({ reason: 'deleted', group_id: null, conversation_id: null })).toBeNull()
  })

  it('takes every channel of the group out of the sidebar', () => {
    const list = [
      { id: 1, group_id: null },
      { id: 2, group_id: 7 },
      { id: 3, group_id: 8 },
      { id: 4, group_id: 7 },
    ]
    expect(channelIdsOf(list, 7)).toEqual([2, 4])
    expect(channelIdsOf(list, 9)).toEqual([])
  })
})
