// Message lists of the conversations I opened, receipts, and the sends in flight.
// The list logic (merge, dedupe, gaps, optimistic replace) lives in utils/messages.ts; which
// changes (edits, deletions, reactions) a list holds, in utils/changes.ts.

import { defineStore } from 'pinia'
import { withoutKey } from '~/utils/records'
import type { AttachmentDto, ConversationDto, MediaKind, MessageDto, MessagesPage, ReceiptDto, ReportReceiptDto } from '~/utils/types'
import { api } from '~/composables/useApi'
import { describeError, isSendLimitedError } from '~/utils/apiError'
import {
  applyReceipt,
  applyUpdate,
  detectGap,
  dropCleared,
  isPending,
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
import { WatermarkPoster } from '~/utils/watermark'

export const PAGE_SIZE = 50
const CATCH_UP_PAGE = 100

export interface ConversationMessages {
  items: ChatMessage[]
  /** Older messages exist on the server (scroll up loads them). */
  hasMoreBefore: boolean
  /**
   * The list is a window around one message (`openAt`) and newer messages exist between it and
   * the live tail (scroll down loads them; the list is `loaded` once it reaches the tail).
   */
  hasMoreAfter: boolean
  /** The newest page was loaded: from here on the list is kept gap-free. */
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
     * sidebar says were made (edits, deletions, reactions) afterwards.
     */
    async open(cid: number) {
      const st = this.ensure(cid)
      // A window in the middle of the history (openAt) is dropped: the newest page replaces it.
      if (st.hasMoreAfter) this.detach(cid)
      const c = useConversationsStore().byId(cid)
      if (c) st.changes = heardOf(st.changes, c.change_version)
      if (st.loaded) {
        await Promise.all([this.fetchAfter(cid, maxSeq(st.items)), this.fetchChanges(cid)])
      } else {
        const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, { query: { limit: PAGE_SIZE } })
        this.merge(cid, page.items)
        st.hasMoreBefore = page.has_more
        st.loaded = true
        // The page reflects every change up to its version; one heard of meanwhile is fetched.
        st.changes = caughtUpTo(st.changes, page.change_version)
        void this.fetchChanges(cid).catch(() => {})
        // Anything that arrived while the first page was in flight is merged; fill the rest.
        if (c && c.last_seq > maxSeq(st.items)) await this.fetchAfter(cid, maxSeq(st.items))
      }
      void this.loadReceipts(cid)
    },

    /**
     * Open a conversation at one message (a search result): the list as it is when it holds
     * the message, else the page around it (`around`), a window the live tail joins once
     * scrolling down (`loadNewer`) reaches it. Until then new messages show in the sidebar only.
     */
    async openAt(cid: number, seq: number) {
      const st = this.ensure(cid)
      if (st.items.some((m) => m.seq === seq && !isPending(m))) return this.open(cid)
      const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, { query: { around: seq, limit: PAGE_SIZE } })
      this.detach(cid)
      this.merge(cid, page.items)
      st.hasMoreBefore = page.has_more
      st.hasMoreAfter = page.has_more_after === true
      // The page reflects every change up to its version; later ones are fetched when the
      // window reaches the tail (fetchChanges runs on loaded lists only).
      st.changes = caughtUpTo(NO_CHANGES, page.change_version)
      if (!st.hasMoreAfter) await this.joinTail(cid)
    },

    /** The next page of a window (`openAt`) towards the tail; the tail itself joins the live list. */
    async loadNewer(cid: number): Promise<number> {
      const st = this.ensure(cid)
      if (!st.hasMoreAfter || st.loadingNewer) return 0
      st.loadingNewer = true
      try {
        const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, { query: { after_seq: maxSeq(st.items), limit: PAGE_SIZE } })
        this.merge(cid, page.items)
        st.changes = heardOf(st.changes, page.change_version)
        if (!page.has_more) await this.joinTail(cid)
        return page.items.length
      } finally {
        st.loadingNewer = false
      }
    },

    /** A window reached the newest message: kept gap-free from now on, changes caught up. */
    async joinTail(cid: number) {
      const st = this.ensure(cid)
      st.hasMoreAfter = false
      st.loaded = true
      const c = useConversationsStore().byId(cid)
      if (c) st.changes = heardOf(st.changes, c.change_version)
      void this.fetchChanges(cid).catch(() => {})
      void this.loadReceipts(cid)
      if (c && c.last_seq > maxSeq(st.items)) await this.fetchAfter(cid, maxSeq(st.items))
    },

    /** Forgets the stored messages of a list (sends in flight stay): the next open starts over. */
    detach(cid: number) {
      const st = this.ensure(cid)
      st.items = st.items.filter(isPending)
      st.hasMoreBefore = false
      st.hasMoreAfter = false
      st.loaded = false
      st.changes = NO_CHANGES
    },

    async loadOlder(cid: number): Promise<number> {
      const st = this.ensure(cid)
      const before = minSeq(st.items)
      if (!st.hasMoreBefore || st.loadingOlder || before <= 1) return 0
      st.loadingOlder = true
      try {
        const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, { query: { before_seq: before, limit: PAGE_SIZE } })
        this.merge(cid, page.items)
        st.hasMoreBefore = page.has_more
        return page.items.length
      } finally {
        st.loadingOlder = false
      }
    },

    /** Everything after `afterSeq`, page by page until the server has no more (one at a time per chat). */
    fetchAfter(cid: number, afterSeq: number): Promise<void> {
      const running = fetchingAfter.get(cid)
      const run = async () => {
        if (running) await running.catch(() => {})
        // From afterSeq, not from the newest seq held: a socket message may sit above a hole.
        let cursor = Math.max(afterSeq, 0)
        for (;;) {
          const page = await api.get<MessagesPage>(`/conversations/${cid}/messages`, { query: { after_seq: cursor, limit: CATCH_UP_PAGE } })
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
      const merged = changesToMerge(st.items, changed)
      this.merge(cid, merged)
      const conversations = useConversationsStore()
      for (const m of merged) conversations.onMessageUpdated(m)
      // A changed message newer than the list: the messages before it are fetched too.
      if (merged.some((m) => detectGap(known, m.seq))) void this.fetchAfter(cid, known).catch(() => {})
    },

    /** A `message.new` from the socket (only loaded lists keep messages; the sidebar has the rest). */
    receive(m: MessageDto) {
      const st = this.convs[m.conversation_id]
      if (!st?.loaded) return
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
      // A send from a window in the middle of the history (openAt) goes with the newest messages.
      if (st.hasMoreAfter) await this.open(cid)
      st.items = [...st.items, optimisticMessage({ conversationId: cid, senderId: auth.myId, clientId, body, replyToId, media })]
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
        this.merge(cid, [stored])
        useConversationsStore().onMessage(stored, useAuthStore().myId)
        // Messages of others committed just before mine may not have reached the socket yet.
        if (st.loaded && detectGap(known, stored.seq)) void this.fetchAfter(cid, known).catch(() => {})
      } catch (e) {
        st.items = setLocalState(st.items, clientId, 'failed', describeError(e))
        // Flood control paused my account: say so plainly (the bubble alone reads like a glitch).
        if (isSendLimitedError(e)) useUiStore().toast(describeError(e), 'error')
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
        if (c.last_seq > known) jobs.push(this.fetchAfter(c.id, known))
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
    },

    forget(cid: number) {
      this.convs = withoutKey(this.convs, cid)
      this.receipts = withoutKey(this.receipts, cid)
    },

    reset() {
      for (const p of [...delivered.values(), ...read.values()]) p.dispose()
      delivered.clear()
      read.clear()
      fetchingAfter.clear()
      fetchingChanges.clear()
      this.$reset()
    },
  },
})
