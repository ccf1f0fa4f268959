import { describe, expect, it } from 'vitest'
import { COMMON_STATUS_EMOJI, peerStatus, STATUS_TEXT_MAX, charCount, isSingleEmoji, normalizeStatus, statusErrors, statusLine } from '../../app/utils/status'

describe('custom status', () => {
  it('accepts exactly one emoji, sequences included', () => {
    for (const e of ['🌴', '👍🏽', '👩‍💻', '🇫🇷', '❤️', ...COMMON_STATUS_EMOJI]) expect(isSingleEmoji(e), e).toBe(true)
    // Like the server: no ASCII at all, so no keycaps and no emoji with text.
    for (const e of ['', 'a', 'ok', '🌴🌴', '🌴 ', ':)', '1', '1️⃣', 'a🌴', '\u0000']) expect(isSingleEmoji(e), e).toBe(false)
  })

  it('counts characters as the server does (code points)', () => {
    expect(charCount('abc')).toBe(3)
    expect(charCount('🌴')).toBe(1)
    expect('🌴'.length).toBe(2)
  })

  it('validates before saving', () => {
    expect(statusErrors('🌴', 'On holiday')).toEqual({})
    expect(statusErrors('', '')).toEqual({})
    expect(statusErrors(' 🌴 ', '')).toEqual({})
    expect(statusErrors('ab', '').status_emoji).toBe('Use a single emoji.')
    expect(statusErrors('🌴🏠', '').status_emoji).toBeDefined()
    expect(statusErrors('', 'x'.repeat(STATUS_TEXT_MAX))).toEqual({})
    expect(statusErrors('', '🌴'.repeat(STATUS_TEXT_MAX))).toEqual({})
    expect(statusErrors('', 'x'.repeat(STATUS_TEXT_MAX + 1)).status_text).toBe('At most 80 characters (now 81).')
    // Trailing spaces are trimmed before counting.
    expect(statusErrors('', `${'x'.repeat(STATUS_TEXT_MAX)}   `)).toEqual({})
  })

  it('sends trimmed values; empty clears', () => {
    expect(normalizeStatus(' 🌴 ', '  On   holiday ')).toEqual({ status_emoji: '🌴', status_text: 'On holiday' })
    expect(normalizeStatus('', '')).toEqual({ status_emoji: '', status_text: '' })
  })

  it('shows emoji and text on one line, or nothing', () => {
    expect(statusLine({ status_emoji: '🌴', status_text: 'On holiday' })).toBe('🌴 On holiday')
    expect(statusLine({ status_emoji: '🌴', status_text: null })).toBe('🌴')
    expect(statusLine({ status_emoji: null, status_text: 'Busy' })).toBe('Busy')
    expect(statusLine({ status_emoji: '', status_text: '  ' })).toBe('')
    expect(statusLine({ status_emoji: null, status_text: null })).toBe('')
    expect(statusLine({})).toBe('')
    expect(statusLine(null)).toBe('')
    expect(statusLine(undefined)).toBe('')
  })

  it('takes the peer emoji from the conversation, the text from the cache', () => {
    const peer = { id: 2, username: 'ben', display_name: 'Ben', avatar_id: null, alias: null, status_emoji: '🌴', blocked: false, messaging_blocked: false }
    const cached = { status_emoji: '🏠', status_text: 'On holiday' }
    expect(peerStatus(peer, cached)).toEqual({ status_emoji: '🌴', status_text: 'On holiday' })
    expect(peerStatus(peer, undefined)).toEqual({ status_emoji: '🌴', status_text: undefined })
    expect(statusLine(peerStatus({ ...peer, status_emoji: null }, undefined))).toBe('')
    expect(peerStatus({ ...peer, status_emoji: null }, cached)).toEqual({ status_emoji: null, status_text: 'On holiday' })
    expect(statusLine(peerStatus({ ...peer, status_emoji: '🏠' }, undefined))).toBe('🏠')
    expect(peerStatus(null, cached)).toBeUndefined()
  })
})
