import { describe, expect, it } from 'vitest'
import { appliedChange, caughtUpTo, changesToMerge, heardOf, missesChanges, NO_CHANGES } from '../../app/utils/changes'
import { applyUpdate, dropCleared, mergeMessages, optimisticMessage, type ChatMessage } from '../../app/utils/messages'
import { message as msg } from './fixtures'

const seqs = (l: { seq: number }[]) => l.map((m) => m.seq)

describe('the change watermark', () => {
  it('moves with each change in order, and stops at a missed one until a catch-up', () => {
    let w = caughtUpTo(NO_CHANGES, 4) // the first page reflected versions up to 4
    w = appliedChange(w, 5)
    expect(w).toEqual({ applied: 5, heard: 5 })
    expect(missesChanges(w)).toBe(false)
    // 6 and 7 went by while the socket was down: 8 shows the gap.
    w = appliedChange(w, 8)
    expect(w).toEqual({ applied: 5, heard: 8 })
    expect(missesChanges(w)).toBe(true)
    // changed_since=5 answered up to 8: caught up; a late copy of an old change moves nothing.
    w = caughtUpTo(w, 8)
    expect(missesChanges(w)).toBe(false)
    expect(appliedChange(w, 7)).toBe(w)
    expect(appliedChange(w, 9)).toEqual({ applied: 9, heard: 9 })
  })

  it('learns of changes from the sidebar without their content', () => {
    const w = caughtUpTo(NO_CHANGES, 3)
    expect(heardOf(w, 3)).toBe(w)
    expect(heardOf(w, 2)).toBe(w)
    expect(missesChanges(heardOf(w, 6))).toBe(true)
    // The answer says where to continue: caught up to it, never back.
    expect(caughtUpTo(heardOf(w, 6), 6)).toEqual({ applied: 6, heard: 6 })
    expect(caughtUpTo({ applied: 6, heard: 6 }, 2)).toEqual({ applied: 6, heard: 6 })
  })
})

describe('applying a catch-up', () => {
  it('edits, deletions and reactions a disconnected list missed all land, and cleared seqs go', () => {
    // The list as it was when the socket dropped.
    let list: ChatMessage[] = mergeMessages([], [msg(1), msg(2), msg(3), msg(4)])
    const thumbs = [{ emoji: '👍', count: 1, user_ids: [9] }]
    const changed = [
      msg(2, { body: 'edited', edited_at: '2026-01-01T10:05:00Z', change_version: 1 }),
      msg(3, { body: '', deleted_at: '2026-01-01T10:06:00Z', change_version: 2 }),
      msg(4, { reactions: thumbs, change_version: 3 }),
    ]
    list = mergeMessages(list, changesToMerge(list, changed))
    expect(list.map((m) => [m.body, m.deleted_at !== null, m.reactions.length])).toEqual([
      ['m1', false, 0],
      ['edited', false, 0],
      ['', true, 0],
      ['m4', false, 1],
    ])
    // Retention deleted seq 1 meanwhile: the sidebar's cleared_seq drops it.
    expect(seqs(dropCleared(list, 1))).toEqual([2, 3, 4])
  })

  it('skips changes older than the loaded window (no hole) and keeps newer ones for the gap fetch', () => {
    const list = mergeMessages([], [msg(10), msg(11)])
    const changed = [msg(3, { change_version: 1 }), msg(11, { body: 'x', change_version: 2 }), msg(14, { change_version: 3 })]
    expect(seqs(changesToMerge(list, changed))).toEqual([11, 14])
    expect(seqs(changesToMerge([], changed))).toEqual([3, 11, 14])
    const pending = optimisticMessage({ conversationId: 7, senderId: 1, clientId: 'p', body: 'p' })
    expect(seqs(changesToMerge([pending], changed))).toEqual([3, 11, 14])
  })

  it('never lets an older state replace a newer one, whichever arrives last', () => {
    const reacted = msg(1, { reactions: [{ emoji: '👍', count: 1, user_ids: [9] }], change_version: 5 })
    const unreacted = msg(1, { reactions: [], change_version: 6 })
    // The catch-up brought version 6; the socket then delivers a late copy of version 5.
    let list = mergeMessages([], [unreacted])
    expect(applyUpdate(list, reacted)).toBe(list)
    expect(mergeMessages(list, [reacted])).toBe(list)
    // And in the other order, the newer one wins.
    list = mergeMessages([], [reacted])
    expect(applyUpdate(list, unreacted)[0]!.reactions).toEqual([])
    expect(mergeMessages(list, [unreacted])[0]!.reactions).toEqual([])
  })

  it('keeps my optimistic tombstone until the server version of the deletion arrives', () => {
    const stored = msg(1, { change_version: 2 })
    let list = mergeMessages([], [stored])
    list = applyUpdate(list, { ...stored, body: '', deleted_at: '2026-01-01T11:00:00Z' })
    expect(list[0]!.deleted_at).not.toBeNull()
    // A page read before the deletion (same version, not deleted) does not bring it back.
    expect(mergeMessages(list, [stored])).toBe(list)
    list = applyUpdate(list, msg(1, { body: '', deleted_at: '2026-01-01T11:00:01Z', change_version: 3 }))
    expect(list[0]!.change_version).toBe(3)
  })
})
