import { describe, expect, it } from 'vitest'
import { snippetParts } from '../../app/utils/search'

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
