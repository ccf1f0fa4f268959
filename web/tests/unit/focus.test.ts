import { describe, expect, it } from 'vitest'
import { focusTarget, holdsSeq, nearBottom, openPlan, replaceWindow, takesLive, type HeldWindow } from '../../app/utils/focus'
import { changesToMerge } from '../../app/utils/changes'
import { detectGap, dropCleared, holes, maxSeq, mergeMessages, messageKey, minSeq, optimisticMessage, type ChatMessage } from '../../app/utils/messages'
import { RowLayout } from '../../app/utils/windowing'
import { message as msg } from './fixtures'

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i))
const seqs = (l: ChatMessage[]) => l.map((m) => m.seq)
const win = (items: ChatMessage[], hasMoreBefore: boolean, hasMoreAfter: boolean): HeldWindow & { items: ChatMessage[]; loaded: boolean } => ({
  items,
  hasMoreBefore,
  hasMoreAfter,
  loaded: true,
})

describe('a window of history around a message', () => {
  it('knows whether it reaches a seq, on both sides', () => {
    // Around seq 80 of 150: 55..104, older and newer messages on the server.
    const around = win(replaceWindow([], range(55, 104)), true, true)
    expect([54, 55, 80, 104, 105].map((s) => holdsSeq(around, s))).toEqual([false, true, true, true, false])
    // The newest page of a live list: a seq above it has not arrived yet, it is still "here".
    const newest = win(range(101, 150), true, false)
    expect([100, 101, 150, 151].map((s) => holdsSeq(newest, s))).toEqual([false, true, true, true])
    // The whole chat: everything is held, even a cleared seq below it.
    expect(holdsSeq(win(range(10, 20), false, false), 3)).toBe(true)
    expect(holdsSeq(win([], false, false), 3)).toBe(true)
    expect(holdsSeq(win([], true, true), 3)).toBe(false)
  })

  it('decides what opening a chat loads', () => {
    const unloaded = { ...win([], false, false), loaded: false }
    expect(openPlan(unloaded)).toBe('window')
    expect(openPlan(unloaded, 20)).toBe('window')
    const live = win(range(101, 150), true, false)
    expect(openPlan(live)).toBe('tail')
    expect(openPlan(live, 120)).toBe('tail') // already held: only what it misses
    expect(openPlan(live, 20)).toBe('window') // the page around 20 replaces it
    const older = win(range(1, 45), false, true)
    expect(openPlan(older, 20)).toBe('changes')
    expect(openPlan(older, 90)).toBe('window')
    expect(openPlan(older)).toBe('window') // no seq: back at the newest page
  })

  it('replaces the held messages but keeps my unconfirmed sends', () => {
    const pending = optimisticMessage({ conversationId: 7, senderId: 1, clientId: 'c-1', body: 'hi' })
    const list: ChatMessage[] = [...range(101, 150), pending]
    const next = replaceWindow(list, range(1, 45))
    expect(seqs(next.filter((m) => !m.local))).toEqual(seqs(range(1, 45)))
    expect(next.at(-1)).toBe(pending)
    expect(holes(next)).toEqual([])
  })

  it('focuses the message, its next neighbour when it is gone, and waits while the window does not reach it', () => {
    expect(focusTarget(win(range(1, 45), false, true), 20)).toBe(20)
    // Seq 20 was cleared for me: the first message after it.
    expect(focusTarget(win(dropCleared(range(1, 45), 25), false, true), 20)).toBe(26)
    // Past the end of a live list: the newest message.
    expect(focusTarget(win(range(101, 150), true, false), 170)).toBe(150)
    // Still the newest page of before (the page around 20 is on its way): nothing yet.
    expect(focusTarget(win(range(101, 150), true, false), 20)).toBe(0)
    expect(focusTarget(win(range(1, 45), false, true), 0)).toBe(0)
  })

  it('takes no live message until scrolling down reached the newest, then fills the gap, without a hole', () => {
    let st = win(replaceWindow([], range(1, 45)), false, true)
    // A live message (seq 151) while reading old history: not merged (it would leave 46..150 out).
    expect(takesLive(st)).toBe(false)
    // Newer pages on scroll down (after_seq = the newest held), deduped by seq with what is held.
    for (const [from, to, more] of [[46, 95, true], [90, 140, true], [141, 150, false]] as const) {
      expect(from).toBeLessThanOrEqual(maxSeq(st.items) + 1)
      st = win(mergeMessages(st.items, range(from, to)), false, more)
    }
    expect(holes(st.items)).toEqual([])
    expect([minSeq(st.items), maxSeq(st.items)]).toEqual([1, 150])
    // Live again: 151 (sent meanwhile, the sidebar's last_seq) is a gap to fetch, as anywhere.
    expect(takesLive(st)).toBe(true)
    expect(detectGap(maxSeq(st.items), 152)).toEqual({ afterSeq: 150, untilSeq: 151 })
  })

  it('merges changes only of the messages a window holds', () => {
    const held = range(20, 45)
    const changed = [msg(10, { change_version: 3 }), msg(30, { change_version: 4 }), msg(120, { change_version: 5 })]
    expect(seqs(changesToMerge(held, changed, true) as ChatMessage[])).toEqual([30])
    // A live list takes the newer one too (and fetches the messages before it).
    expect(seqs(changesToMerge(held, changed) as ChatMessage[])).toEqual([30, 120])
    expect(changesToMerge([], changed, true)).toEqual([])
  })

  it('keeps the view in place when a newer page is added below', () => {
    const before = range(1, 45).map((m) => messageKey(m))
    const after = [...before, ...range(46, 95).map((m) => messageKey(m))]
    const heights = new Map<string, number>()
    const l1 = new RowLayout(before, heights, 50)
    const anchor = l1.anchorAt(50 * 30 + 7)!
    const l2 = new RowLayout(after, heights, 50)
    expect(l2.topFor(anchor)).toBe(50 * 30 + 7)
  })

  it('tells when the view is near the bottom', () => {
    expect(nearBottom({ scrollHeight: 2000, scrollTop: 1300, clientHeight: 600 })).toBe(true)
    expect(nearBottom({ scrollHeight: 2000, scrollTop: 1000, clientHeight: 600 })).toBe(false)
  })
})
