// The tab's one real-time connection, wired to the stores: every server event lands here.

import type { MessageDto, ServerEvent, WsTicketDto } from '~/utils/types'
import { ChatSocket, type SocketStatus } from '~/utils/socket'
import { api } from '~/composables/useApi'
import { conversationTitle, directPeerIds } from '~/utils/sidebar'
import { shouldNotify } from '~/utils/notify'
import { previewText } from '~/utils/media'
import { deletedGroupId } from '~/utils/overview'

let socket: ChatSocket | null = null
let lastPresenceKey = ''
let refreshTimer: ReturnType<typeof setTimeout> | null = null

function wsUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  // `npm run dev` goes through Nitro's dev proxy, which needs its own prefix (nuxt.config.ts).
  const path = import.meta.dev ? '/_dev-ws/ws' : '/ws'
  return `${proto}//${location.host}${path}`
}

/** Fetch the sidebar, then every missing message of the loaded chats (after ready/resync). */
async function catchUp() {
  const conversations = useConversationsStore()
  try {
    const list = await conversations.fetchAll()
    await useMessagesStore().catchUp(list)
  } catch (e) {
    console.warn('catch-up failed', e)
  }
}

/** Coalesces bursts of conversation.updated into one sidebar refetch. */
function refreshSidebarSoon() {
  if (refreshTimer) return
  refreshTimer = setTimeout(() => {
    refreshTimer = null
    void useConversationsStore().fetchAll().catch(() => {})
  }, 250)
}

/** The users whose presence I want: direct peers in the sidebar + members of the open group. */
export function presenceTargets(): number[] {
  const ids = new Set(directPeerIds(useConversationsStore().list))
  const ui = useUiStore()
  const open = ui.openConversationId ? useConversationsStore().byId(ui.openConversationId) : undefined
  if (open?.group_id) for (const m of useGroupsStore().byId[open.group_id]?.members ?? []) ids.add(m.user.id)
  ids.delete(useAuthStore().myId)
  return [...ids].sort((a, b) => a - b)
}

export function syncPresence(force = false) {
  if (!socket || socket.state !== 'open') return
  const ids = presenceTargets()
  const key = ids.join(',')
  if (!force && key === lastPresenceKey) return
  if (socket.send({ type: 'presence.subscribe', data: { user_ids: ids } })) lastPresenceKey = key
}

function onEvent(e: ServerEvent) {
  const auth = useAuthStore()
  const me = auth.myId
  switch (e.type) {
    case 'ready':
      lastPresenceKey = ''
      syncPresence(true)
      void catchUp()
      break
    case 'resync':
      void catchUp()
      break
    case 'message.new': {
      const m = e.data
      useMessagesStore().receive(m)
      useConversationsStore().onMessage(m, me)
      useTypingStore().stopped(m.conversation_id, m.sender_id)
      if (m.sender_id !== me) useMessagesStore().offerDelivered(m.conversation_id, m.seq)
      notifyNewMessage(m, me)
      break
    }
    case 'message.updated':
      useMessagesStore().update(e.data)
      useConversationsStore().onMessageUpdated(e.data)
      break
    case 'receipt':
      useMessagesStore().applyReceipt(e.data)
      break
    case 'typing':
      if (e.data.user_id !== me) useTypingStore().apply(e.data)
      break
    case 'presence':
      usePresenceStore().apply(e.data)
      break
    case 'conversation.updated': {
      const d = e.data
      const deleted = deletedGroupId(d)
      if (deleted !== null) {
        // The owner deleted the group: its channels leave the sidebar, an open one says so.
        useGroupsStore().applyDeleted(deleted)
        refreshSidebarSoon()
        break
      }
      if (d.group_id) void useGroupsStore().refreshIfLoaded(d.group_id)
      if (d.reason === 'member_removed' && d.user_id === me && d.group_id) {
        // I was removed: its channels disappear from the sidebar.
        useGroupsStore().forget(d.group_id)
      }
      // Retention changed, or the server deleted old messages and moved my cleared_seq past them.
      if (d.reason === 'retention' && d.conversation_id) void useConversationsStore().refreshCleared(d.conversation_id).catch(() => {})
      refreshSidebarSoon()
      break
    }
    case 'user.updated':
      // A contact, a direct-chat peer, a co-member or I changed name, bio, avatar or status.
      useUsersStore().applyUpdate(e.data)
      useConversationsStore().applyUserUpdate(e.data)
      useGroupsStore().applyUserUpdate(e.data)
      useProfileStore().applyUserUpdate(e.data)
      if (e.data.user_id === me) auth.applyUserUpdate(e.data)
      break
    case 'error':
      console.warn('server event error', e.data)
      break
  }
}

/** A browser notification for a message that arrives while the tab is hidden (not muted, no DND). */
function notifyNewMessage(m: MessageDto, me: number) {
  if (typeof Notification === 'undefined') return
  const conversation = useConversationsStore().byId(m.conversation_id)
  const context = {
    hidden: document.hidden,
    myId: me,
    permitted: Notification.permission === 'granted',
    conversation,
    dndUntil: useAuthStore().user?.dnd_until ?? null,
    now: Date.now(),
  }
  if (!shouldNotify(m, context)) return
  const n = new Notification(conversation ? conversationTitle(conversation) : 'New message', {
    body: previewText(m).slice(0, 200),
    tag: `conversation-${m.conversation_id}`,
  })
  n.onclick = () => {
    window.focus()
    void navigateTo(`/c/${m.conversation_id}`)
    n.close()
  }
}

export function useSocket() {
  const ui = useUiStore()
  if (!socket) {
    socket = new ChatSocket({
      ticket: async () => (await api.post<WsTicketDto>('/auth/ws-ticket')).ticket,
      url: wsUrl,
      onEvent,
      onStatus: (s: SocketStatus) => {
        ui.setSocket(s)
        if (s !== 'open') usePresenceStore().clearOnline()
      },
      onAuthProblem: async () => {
        await useAuthStore().refresh()
      },
      // 4001: the server ended my sessions (suspension). The refresh fails and signs out, which
      // stops the socket and shows the sign-in page (plugins/realtime.client.ts).
      onSessionEnded: async () => {
        if (!(await useAuthStore().refresh())) ui.toast('Your session has ended', 'error')
      },
      log: (msg, extra) => console.info(`[ws] ${msg}`, extra ?? ''),
    })
  }
  return {
    socket,
    start: () => socket!.start(),
    stop: () => socket!.stop(),
    nudge: () => socket!.nudge(),
    offline: () => socket!.offline(),
    sendTyping: (conversationId: number, active: boolean) =>
      socket!.send({ type: 'typing', data: { conversation_id: conversationId, active } }),
    syncPresence,
  }
}
