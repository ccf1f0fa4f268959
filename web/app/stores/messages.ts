// Message lists of the conversations I opened, receipts, and the sends in flight.
// The list logic (merge, dedupe, gaps, optimistic replace) lives in utils/messages.ts; which
// changes (edits, deletions, reactions) a list holds, in utils/changes.ts; a window of older
// history opened at a message (a search result), in utils/focus.ts.

import { defineStore } from 'pinia'
import { withoutKey } from '~/utils/records'
import type { AttachmentDto, ConversationDto, MediaKind, MessageDto, MessagesPage, ReceiptDto, ReportReceiptDto } from '~/utils/types'
import { api } from '~/composables/useApi'
import { describeError, isBlockedError, isSendLimitedError } from '~/utils/apiError'
import {
  applyReceipt,
  applyUpdate,
  detectGap,
  dropCleared,
  maxSeq,
  mergeMessages,
  minSeq,
  optimisticMessage,
  removePending,
  setLocalState,
  type ChatMessage,
} from '~/utils/messages'
import { appliedChange, caughtUpTo, changesToMerge, heardOf, missesChanges, NO_CHANGES, type ChangeWatermark } from '~/utils/changes'
import { uuid } from '~/utils/uuid'
import { openPlan, replaceWindow, takesLive } from '~/utils/focus'
import { WatermarkPoster } from '~/utils/watermark'

export const PAGE_SIZE = 50
const CATCH_UP_PAGE = 100

export interface ConversationMessages {
  items: ChatMessage[]
  /** Older messages exist on the server (scroll up loads them). */
  hasMoreBefore: boolean
  /**
   * Newer messages exist on the server than the newest held: the list is a window of older
   * history (opened at a search result). Scrolling down loads them; live messages are not merged
   * meanwhile (they would leave a hole) and come with the last newer page.
   */
  hasMoreAfter: boolean
  /** A first page (the newest, or the one around a message) was loaded: from here on the list is kept gap-free. */
  loaded: boolean
  loadingOlder: boolean
  loadingNewer: boolean
  /** The changes to stored messages this list holds (utils/changes.ts). */
  changes: ChangeWatermark
}

// Not reactive state: helpers keyed by conversation.
const delivered = new Map<number, WatermarkPoster>()
const read = new Map<number, WatermarkPoster>()
const fetchingAfter = new Map<number, Promise<void>>()
const fetchingChanges = new Map<number, Promise<void>>()
/**
 * Bumped when a list's window is replaced (opened around another message, or back at the
 * newest): pages asked for the old window are dropped when they arrive.
 */
const windows = new Map<number, number>()

function windowOf(cid: number): number {
  return windows.get(cid) ?? 0
}

function newWindow(cid: number): number {
  const w = windowOf(cid) + 1
  windows.set(cid, w)
  fetchingAfter.delete(cid)
  return w
}

function poster(map: Map<number, WatermarkPoster>, cid: number, field: 'delivered_seq' | 'read_seq'): WatermarkPoster {
  let p = map.get(cid)
  if (!p) {
    p = new WatermarkPoster(async (value) => {
      const r = await api.post<ReceiptDto>(`/conversations/${cid}/receipts`, { [field]: value })
      useMessagesStore().applyReceipt(r)
    })
    map.set(cid, p)
  }
  return p
}

export const useMessagesStore = defineStore('messages', {
  state: () => ({
    convs: {} as Record<number, ConversationMessages>,
    receipts: {} as Record<number, ReceiptDto[]>,
  }),
  getters: {
    of: (s) => (cid: number): ConversationMessages | undefined => s.convs[cid],
    receiptsOf: (s) => (cid: number): ReceiptDto[] => s.receipts[cid] ?? [],
  },
  actions: {
    ensure(cid: number): ConversationMessages {
      if (!this.convs[cid]) {
        this.convs[cid] = {
          items: [],
          hasMoreBefore: false,
          hasMoreAfter: false,
          loaded: false,
          loadingOlder: false,
          loadingNewer: false,
          changes: NO_CHANGES,
        }
      }
      return this.convs[cid]!
    },

    merge(cid: number, incoming: MessageDto[]) {
      const st = this.ensure(cid)
      const next = mergeMessages(st.items, incoming)
      if (next !== st.items) st.items = next
    },

    /**
     * Open a conversation: the newest page the first time, the missing tail and the changes the
     * sidebar says were made (edits, deletions, reactions) afterwards. With `around` (a search
     * result, `/c/<id>?seq=`): the page around that message, unless the list already holds it.
     * Without it, a list showing older history goes back to the newest page.
     */
    async open(cid: number, around?: number) {
      const st = this.ensure(cid)
      const c = useConversationsStore().byId(cid)
      if (c) st.changes = heardOf(st.changes, c.change_version)
      const plan = openPlan(st, around)
      if (plan === 'window') await this.loadWindow(cid, around)
      else if (plan === 'tail') await Promise.all([this.fetchAfter(cid, maxSeq(st.items)), this.fetchChanges(cid)])
      else await this.fetchChanges(cid)
      void this.loadReceipts(cid)
    },

    /** Back at the newest page (a send or "Jump to newest" from older history). */
    async showNewest(cid: number) {
      await this.loadWindow(cid)
    },

    /**
     * A first page: the newest one, or the one `around` a message. It replaces what the list
     * held (my unconfirmed sends stay); pages still in flight for the old window are dropped.
     */
    async loadWindow(cid: number, around?: number) {
      const st = this.ensure(cid)
      const w = newWindow(cid)
      const query = around ? { around, limit: PAGE_SIZE } : { limit: PAGE_SIZE }
      const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, { query })
      if (windowOf(cid) !== w) return
      // A first newest page merges: a send confirmed before it is kept (the tail is fetched below).
      st.items = st.loaded || around ? replaceWindow(st.items, page.items) : mergeMessages(st.items, page.items)
      st.hasMoreBefore = page.has_more
      st.hasMoreAfter = around ? page.has_more_after === true : false
      st.loaded = true
      // The page reflects every change up to its version; one heard of meanwhile is fetched.
      st.changes = caughtUpTo(st.changes, page.change_version)
      void this.fetchChanges(cid).catch(() => {})
      // Anything that arrived while the page was in flight is merged; fill the rest.
      await this.fetchTailIfLive(cid)
    },

    /** A live list (one that reaches the newest message) fetches what the sidebar says it misses. */
    async fetchTailIfLive(cid: number) {
      const st = this.convs[cid]
      const c = useConversationsStore().byId(cid)
      if (st && takesLive(st) && c && c.last_seq > maxSeq(st.items)) await this.fetchAfter(cid, maxSeq(st.items))
    },

    async loadOlder(cid: number, limit = PAGE_SIZE): Promise<number> {
      const st = this.ensure(cid)
      const before = minSeq(st.items)
      if (!st.hasMoreBefore || st.loadingOlder || before <= 1) return 0
      const w = windowOf(cid)
      st.loadingOlder = true
      try {
        const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, { query: { before_seq: before, limit } })
        if (windowOf(cid) !== w) return 0
        this.merge(cid, page.items)
        st.hasMoreBefore = page.has_more
        return page.items.length
      } finally {
        st.loadingOlder = false
      }
    },

    /**
     * The next newer page of a window of older history (scrolling down); once it reaches the
     * newest message the list is live again and fetches what arrived meanwhile.
     */
    async loadNewer(cid: number, limit = PAGE_SIZE): Promise<number> {
      const st = this.ensure(cid)
      if (!st.hasMoreAfter || st.loadingNewer) return 0
      const w = windowOf(cid)
      st.loadingNewer = true
      try {
        const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, { query: { after_seq: maxSeq(st.items), limit } })
        if (windowOf(cid) !== w) return 0
        this.merge(cid, page.items)
        st.hasMoreAfter = page.has_more
        // Live messages were left out while the window was behind: fetch what the page missed.
        if (!st.hasMoreAfter) void this.fetchTailIfLive(cid).catch(() => {})
        return page.items.length
      } finally {
        st.loadingNewer = false
      }
    },

    /** Older pages until the list holds `seq` (jump to the first unread); false if it cannot. */
    async loadOlderUntil(cid: number, seq: number): Promise<boolean> {
      const st = this.ensure(cid)
      while (st.hasMoreBefore && minSeq(st.items) > seq) {
        // Another load in flight (scrolling up): wait for it rather than give up.
        if (st.loadingOlder) await new Promise((r) => setTimeout(r, 50))
        else if (!(await this.loadOlder(cid, CATCH_UP_PAGE))) break
      }
      return minSeq(st.items) <= seq || !st.hasMoreBefore
    },

    /** Everything after `afterSeq`, page by page until the server has no more (one at a time per chat). */
    fetchAfter(cid: number, afterSeq: number): Promise<void> {
      const running = fetchingAfter.get(cid)
      const w = windowOf(cid)
      const run = async () => {
        if (running) await running.catch(() => {})
        // From afterSeq, not from the newest seq held: a socket message may sit above a hole.
        let cursor = Math.max(afterSeq, 0)
        for (;;) {
          // Never into a window of older history (scrolling down loads it), nor into a new window.
          if (windowOf(cid) !== w || this.convs[cid]?.hasMoreAfter) return
          const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, { query: { after_seq: cursor, limit: CATCH_UP_PAGE } })
          if (windowOf(cid) !== w) return
          this.merge(cid, page.items)
          const last = page.items.length ? page.items[page.items.length - 1]!.seq : cursor
          if (!page.has_more || last <= cursor) break
          cursor = last
        }
      }
      const p = run().finally(() => {
        if (fetchingAfter.get(cid) === p) fetchingAfter.delete(cid)
      })
      fetchingAfter.set(cid, p)
      return p
    },

    /**
     * The changes of a loaded list it missed (`changed_since`), page by page until it holds the
     * highest version heard of (one run at a time per chat; a run re-checks before it ends).
     */
    fetchChanges(cid: number): Promise<void> {
      const running = fetchingChanges.get(cid)
      if (running) return running
      const run = async () => {
        const st = this.convs[cid]
        let more = st?.loaded === true && missesChanges(st.changes)
        while (st && more) {
          const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, {
            query: { changed_since: st.changes.applied, limit: CATCH_UP_PAGE },
          })
          this.applyChanges(cid, page.items)
          const before = st.changes.applied
          st.changes = caughtUpTo(st.changes, page.change_version)
          // Again for a full page, or a change heard of meanwhile; never without progress.
          more = st.changes.applied > before && (page.has_more || missesChanges(st.changes))
        }
      }
      const p = run().finally(() => {
        if (fetchingChanges.get(cid) === p) fetchingChanges.delete(cid)
      })
      fetchingChanges.set(cid, p)
      return p
    },

    /** Merges a `changed_since` page: tombstones, edits and reactions of the messages held. */
    applyChanges(cid: number, changed: MessageDto[]) {
      const st = this.convs[cid]
      if (!st) return
      const known = maxSeq(st.items)
      const merged = changesToMerge(st.items, changed, st.hasMoreAfter)
      this.merge(cid, merged)
      const conversations = useConversationsStore()
      for (const m of merged) conversations.onMessageUpdated(m)
      // A changed message newer than the list: the messages before it are fetched too.
      if (!st.hasMoreAfter && merged.some((m) => detectGap(known, m.seq))) void this.fetchAfter(cid, known).catch(() => {})
    },

    /**
     * A `message.new` from the socket (only loaded lists keep messages; the sidebar has the rest;
     * a window of older history gets it with its last newer page).
     */
    receive(m: MessageDto) {
      const st = this.convs[m.conversation_id]
      if (!st || !takesLive(st)) return
      const known = maxSeq(st.items)
      const gap = detectGap(known, m.seq)
      this.merge(m.conversation_id, [m])
      if (gap) void this.fetchAfter(m.conversation_id, gap.afterSeq).catch(() => {})
    },

    /** A changed message: `message.updated` from the socket, or the answer to my own change. */
    update(m: MessageDto) {
      const st = this.convs[m.conversation_id]
      if (!st) return
      const next = applyUpdate(st.items, m)
      if (next !== st.items) st.items = next
      else if (st.loaded && m.seq > maxSeq(st.items)) this.receive(m)
      // Before the first page, a change is only heard of: the page may have been read before it.
      st.changes = st.loaded ? appliedChange(st.changes, m.change_version) : heardOf(st.changes, m.change_version)
      if (st.loaded && missesChanges(st.changes)) void this.fetchChanges(m.conversation_id).catch(() => {})
    },

    /** Text, or a media message when `media` names an upload (made with useMedia().upload). */
    async send(cid: number, body: string, replyToId: number | null, media?: { kind: MediaKind; attachment: AttachmentDto }) {
      const auth = useAuthStore()
      const clientId = uuid()
      const st = this.ensure(cid)
      st.items = [...st.items, optimisticMessage({ conversationId: cid, senderId: auth.myId, clientId, body, replyToId, media })]
      // Sent from older history: the list goes to the newest page first, where the message goes.
      if (st.hasMoreAfter) await this.showNewest(cid).catch(() => {})
      await this.post(cid, clientId)
    },

    /** Retry a failed send with the SAME client_id (the server dedupes it). */
    async retry(cid: number, clientId: string) {
      const st = this.ensure(cid)
      st.items = setLocalState(st.items, clientId, 'sending')
      await this.post(cid, clientId)
    },

    discard(cid: number, clientId: string) {
      const st = this.ensure(cid)
      st.items = removePending(st.items, clientId)
    },

    async post(cid: number, clientId: string) {
      const st = this.ensure(cid)
      const m = st.items.find((x) => x.local && x.client_id === clientId)
      if (!m) return
      try {
        const answer = await api.post<MessageDto>(`/conversations/${cid}/messages`, {
          client_id: clientId,
          kind: m.kind,
          body: m.body,
          reply_to_id: m.reply_to_id ?? undefined,
          attachment_id: m.attachment_id ?? undefined,
        })
        // The answer to a retry the server had already stored carries no attachment: keep ours.
        const stored = answer.attachment || !m.attachment ? answer : { ...answer, attachment: m.attachment }
        const known = maxSeq(st.items)
        // Still a window of older history (the newest page failed): the message is on the
        // server, scrolling down brings it; merged here it would leave a hole.
        if (st.hasMoreAfter) {
          st.items = removePending(st.items, clientId)
          useConversationsStore().onMessage(stored, useAuthStore().myId)
          return
        }
        this.merge(cid, [stored])
        useConversationsStore().onMessage(stored, useAuthStore().myId)
        // Messages of others committed just before mine may not have reached the socket yet.
        if (st.loaded && detectGap(known, stored.seq)) void this.fetchAfter(cid, known).catch(() => {})
      } catch (e) {
        st.items = setLocalState(st.items, clientId, 'failed', describeError(e))
        // Flood control paused my account: say so plainly (the bubble alone reads like a glitch).
        if (isSendLimitedError(e)) useUiStore().toast(describeError(e), 'error')
        // Blocked meanwhile (the event may still be on its way): the chat shows the notice now.
        if (isBlockedError(e)) void useConversationsStore().fetchOne(cid)
      }
    },

    async edit(m: ChatMessage, body: string) {
      this.update(await api.patch<MessageDto>(`/messages/${m.id}`, { body }))
    },

    /** Adds (`on`) or removes my reaction; the answer carries the message's reactions. */
    async react(m: ChatMessage, emoji: string, on: boolean) {
      const path = `/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`
      this.update(on ? await api.put<MessageDto>(path) : await api.del<MessageDto>(path))
    },

    async remove(m: ChatMessage) {
      await api.del(`/messages/${m.id}`)
      // Tombstone now; the message.updated event brings the server's version.
      this.update({ ...m, body: '', attachment: undefined, deleted_at: new Date().toISOString() })
    },

    /** Reports someone else's message to the administrators (again: the first report stands). */
    async report(m: ChatMessage, reason: string) {
      return api.post<ReportReceiptDto>(`/messages/${m.id}/report`, { reason })
    },

    async loadReceipts(cid: number) {
      try {
        const list = await api.get<ReceiptDto[]>(`/conversations/${cid}/receipts`)
        let merged = this.receipts[cid] ?? []
        for (const r of list) merged = applyReceipt(merged, r)
        this.receipts[cid] = merged
      } catch {
        // ticks stay as they are; the next receipt event or reconnect fixes them
      }
    },

    /**
     * Replaces the receipts of the loaded conversations with the server's (which may go back:
     * read receipts turned off show everyone's read_seq as 0).
     */
    async reloadReceipts() {
      await Promise.allSettled(
        Object.keys(this.receipts).map(async (key) => {
          const cid = Number(key)
          const list = await api.get<ReceiptDto[]>(`/conversations/${cid}/receipts`)
          if (this.receipts[cid]) this.receipts[cid] = list
        }),
      )
    },

    applyReceipt(r: ReceiptDto) {
      const before = this.receipts[r.conversation_id] ?? []
      const next = applyReceipt(before, r)
      if (next !== before) this.receipts[r.conversation_id] = next
      if (r.user_id === useAuthStore().myId) {
        delivered.get(r.conversation_id)?.known(r.delivered_seq)
        read.get(r.conversation_id)?.known(r.read_seq)
        const conversations = useConversationsStore()
        conversations.markRead(r.conversation_id, r.read_seq)
        conversations.markDelivered(r.conversation_id, r.delivered_seq)
      }
    },

    offerDelivered(cid: number, seq: number, known = 0) {
      const p = poster(delivered, cid, 'delivered_seq')
      p.known(known)
      p.offer(seq)
    },

    offerRead(cid: number, seq: number, known = 0) {
      const p = poster(read, cid, 'read_seq')
      p.known(known)
      if (seq <= p.wanted) return
      useConversationsStore().markRead(cid, seq)
      p.offer(seq)
    },

    /**
     * After (re)connecting: fetch what each loaded conversation misses (its last_seq from the
     * sidebar vs. the newest seq we hold; its change_version vs. the changes we hold),
     * acknowledge delivery of everything, refresh ticks. (`fetchAll` dropped what the sidebar's
     * cleared_seq ends.)
     */
    async catchUp(list: ConversationDto[]) {
      const jobs: Promise<void>[] = []
      for (const c of list) {
        if (c.last_seq > c.last_delivered_seq) this.offerDelivered(c.id, c.last_seq, c.last_delivered_seq)
        const st = this.convs[c.id]
        if (!st?.loaded) continue
        const known = maxSeq(st.items)
        // A window of older history gets the new messages when scrolled down to them.
        if (c.last_seq > known && !st.hasMoreAfter) jobs.push(this.fetchAfter(c.id, known))
        st.changes = heardOf(st.changes, c.change_version)
        if (missesChanges(st.changes)) jobs.push(this.fetchChanges(c.id))
        jobs.push(this.loadReceipts(c.id))
      }
      await Promise.allSettled(jobs)
    },

    /** Everything up to `clearedSeq` is gone for me (clear history, disappearing messages). */
    dropThrough(cid: number, clearedSeq: number) {
      const st = this.convs[cid]
      if (!st) return
      const next = dropCleared(st.items, clearedSeq)
      if (next !== st.items) st.items = next
      // All of a window of older history is gone: back at the newest page.
      if (next.length === 0 && st.hasMoreAfter) void this.showNewest(cid).catch(() => {})
    },

    forget(cid: number) {
      newWindow(cid)
      this.convs = withoutKey(this.convs, cid)
      this.receipts = withoutKey(this.receipts, cid)
    },

    reset() {
      for (const p of [...delivered.values(), ...read.values()]) p.dispose()
      delivered.clear()
      read.clear()
      fetchingAfter.clear()
      fetchingChanges.clear()
      // `windows` only grows: a page in flight before the reset must never match a new window.
      this.$reset()
    },
  },
})
