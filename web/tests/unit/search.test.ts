import { describe, expect, it } from 'vitest'
import { dayStart, NO_FILTERS, resultLink, searchParams, senderOptions, snippetParts, worthSearching } from '../../app/utils/search'

describe('search snippets', () => {
  it('splits on the server marks', () => {
    expect(snippetParts('the \u0002Budget\u0003 is \u0002ready\u0003')).toEqual([
      { text: 'the ', match: false },
      { text: 'Budget', match: true },
      { text: ' is ', match: false },
      { text: 'ready', match: true },
    ])
    expect(snippetParts('no match here')).toEqual([{ text: 'no match here', match: false }])
    expect(snippetParts('<b>raw</b> \u0002x\u0003')[0]).toEqual({ text: '<b>raw</b> ', match: false })
  })
})

describe('search filters', () => {
  it('turns days into instants and includes the last day', () => {
    const p = searchParams(' budget ', { ...NO_FILTERS, conversationId: 4, senderId: 7, from: '2026-03-01', to: '2026-03-02', has: 'links' })
    expect(p).toEqual({
      q: 'budget',
      conversation_id: 4,
      sender_id: 7,
      after: new Date(2026, 2, 1).toISOString(),
      before: new Date(2026, 2, 3).toISOString(),
      has: 'links',
    })
    expect(searchParams('x', NO_FILTERS)).toEqual({ q: 'x', conversation_id: undefined, sender_id: undefined, after: undefined, before: undefined, has: undefined })
    expect(dayStart('not a day')).toBeUndefined()
    expect(dayStart('2026-12-31', 1)).toBe(new Date(2027, 0, 1).toISOString())
  })

  it('opens a result at its message', () => {
    expect(resultLink({ conversation_id: 3, seq: 42 })).toBe('/c/3?seq=42')
  })

  it('searches while typing from two characters', () => {
    expect(worthSearching(' a ')).toBe(false)
    expect(worthSearching('ab')).toBe(true)
  })

  it('lists me first, then everyone else once, by name', () => {
    const me = { id: 1, name: 'Me' }
    expect(senderOptions(me, [{ id: 3, name: 'Zoe' }, { id: 1, name: 'Me' }, { id: 2, name: 'Ann' }, { id: 3, name: 'Zoe' }])).toEqual([
      me,
      { id: 2, name: 'Ann' },
      { id: 3, name: 'Zoe' },
    ])
  })
})
