import { describe, expect, it } from 'vitest'
import { dayLabel, timeLabel } from '../../app/utils/format'
import { relativeDay } from '../../app/utils/locale'

describe('dates in the browser language', () => {
  const now = new Date('2026-12-06T12:00:00')

  it('names today and yesterday in that language', () => {
    expect(relativeDay(0, 'en-US')).toBe('Today')
    expect(relativeDay(-1, 'en-US')).toBe('Yesterday')
    expect(relativeDay(0, 'de-DE')).toBe('Heute')
    expect(relativeDay(-1, 'de-DE')).toBe('Gestern')
    expect(dayLabel('2026-12-06T09:00:00', now, 'de-DE')).toBe('Heute')
  })

  it('writes older days and times the way that language does', () => {
    expect(dayLabel('2026-12-01T09:00:00', now, 'de-DE')).toBe('Di., 1. Dezember')
    expect(dayLabel('2026-12-01T09:00:00', now, 'en-US')).toBe('Tue, December 1')
    expect(dayLabel('2025-03-01T09:00:00', now, 'de-DE')).toBe('1. März 2025')
    expect(timeLabel('2026-12-06T14:05:00', 'de-DE')).toBe('14:05')
    expect(timeLabel('2026-12-06T14:05:00', 'en-US')).toBe('02:05 PM')
  })
})
