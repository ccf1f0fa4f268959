// A windowed (virtualised) scroll list: renders the rows near the viewport (utils/windowing.ts),
// measures them with a ResizeObserver, and keeps the view where it was when rows are added above
// or change height: stuck to the bottom when it was there, otherwise on the row at its top.
// `canStick` false (a window of older history, more rows to come below): rows added at the
// bottom never pull the view down, it stays on the row at its top.
// Rows carry `data-row-key`; the list element is the one the spacers pad.

import type { Ref } from 'vue'
import { RowLayout, type Anchor } from '~/utils/windowing'

/** An unmeasured row before any was measured: a one-line message. */
const FIRST_ESTIMATE = 56
/** Closer than this to the bottom counts as "at the bottom" (new rows follow). */
const BOTTOM_SLACK = 80

export function useWindowedList(
  scroller: Ref<HTMLElement | null>,
  list: Ref<HTMLElement | null>,
  keys: Ref<readonly string[]>,
  anchorable: (key: string) => boolean,
  canStick: () => boolean = () => true,
) {
  const heights = new Map<string, number>()
  // Unmeasured rows count as the average measured one: fewer corrections once they are seen.
  let measuredSum = 0
  const estimate = () => (heights.size ? measuredSum / heights.size : FIRST_ESTIMATE)
  const layout = shallowRef(new RowLayout(keys.value, heights, FIRST_ESTIMATE))
  /** The viewport in list coordinates (0 = the list's top). */
  const viewTop = ref(0)
  const viewHeight = ref(800)
  let stick = true
  let anchor: Anchor | null = null
  /** The scrollTop `stick` and `anchor` were taken at. */
  let trackedTop = 0

  // Numbers, so that a scroll within the same rows re-renders nothing.
  const overscan = computed(() => Math.max(viewHeight.value, 400))
  const start = computed(() => layout.value.range(viewTop.value, viewHeight.value, overscan.value).start)
  const end = computed(() => layout.value.range(viewTop.value, viewHeight.value, overscan.value).end)
  const padTop = computed(() => layout.value.offsetOf(start.value))
  const padBottom = computed(() => layout.value.total - layout.value.offsetOf(end.value))

  function listTop(): number {
    return list.value?.offsetTop ?? 0
  }

  function isAtBottom(): boolean {
    const el = scroller.value
    return !el || el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK
  }

  /** Called on scroll: which rows to render, and what to keep in place next time. */
  function track() {
    const el = scroller.value
    if (!el) return
    trackedTop = el.scrollTop
    viewTop.value = el.scrollTop - listTop()
    viewHeight.value = el.clientHeight
    stick = canStick() && isAtBottom()
    anchor = stick ? null : layout.value.anchorAt(viewTop.value, anchorable)
  }

  /**
   * A scroll whose event has not come yet (a scrollTop written in this frame: its event fires
   * in the next one) is taken into account before the layout changes, or the restore would undo it.
   */
  function catchUpScroll() {
    if (scroller.value && scroller.value.scrollTop !== trackedTop) track()
  }

  /** Puts the view back (bottom, or the anchor) after the layout changed. */
  function restore() {
    const el = scroller.value
    if (!el) return
    const l = layout.value
    const target = stick || !anchor ? null : l.topFor(anchor)
    // Render the rows of the target position first, then scroll there once they are in the DOM.
    viewTop.value = target ?? Math.max(0, l.total - el.clientHeight)
    void nextTick(() => {
      const el = scroller.value
      if (!el) return
      const top = target === null ? el.scrollHeight - el.clientHeight : target + listTop()
      // Writing the same position again would still cost a layout.
      if (Math.abs(el.scrollTop - top) >= 1) el.scrollTop = top
      track()
    })
  }

  function relayout() {
    catchUpScroll()
    // Only heights changed (the usual case while scrolling): the key index is kept.
    layout.value = new RowLayout(keys.value, heights, estimate(), layout.value)
    restore()
  }

  let pending = false
  function relayoutSoon() {
    if (pending) return
    pending = true
    queueMicrotask(() => {
      pending = false
      relayout()
    })
  }

  watch(keys, relayout)

  // --- measuring -----------------------------------------------------------------------------
  let resize: ResizeObserver | null = null
  const observed = new Set<HTMLElement>()

  /** Observe the rows rendered since the last call, forget the ones gone (after each render). */
  function observeRows() {
    const host = list.value
    if (!resize || !host) return
    for (const el of observed) {
      if (!el.isConnected) {
        resize.unobserve(el)
        observed.delete(el)
      }
    }
    for (const el of host.querySelectorAll<HTMLElement>(':scope > [data-row-key]')) {
      if (!observed.has(el)) {
        observed.add(el)
        resize.observe(el)
      }
    }
  }

  onMounted(() => {
    resize = new ResizeObserver((entries) => {
      let changed = false
      for (const e of entries) {
        const el = e.target as HTMLElement
        const key = el.dataset.rowKey
        const h = e.borderBoxSize?.[0]?.blockSize ?? el.offsetHeight
        if (!key || !el.isConnected || h <= 0) continue
        const before = heights.get(key)
        if (before === h) continue
        measuredSum += h - (before ?? 0)
        heights.set(key, h)
        changed = true
      }
      if (changed) relayoutSoon()
    })
    observeRows()
    track()
    relayout()
  })
  onUpdated(observeRows)
  onBeforeUnmount(() => {
    resize?.disconnect()
    observed.clear()
  })

  return {
    start,
    end,
    padTop,
    padBottom,
    layout,
    viewTop,
    viewHeight,
    track,
    atBottom: () => stick,
    scrollToBottom() {
      catchUpScroll()
      stick = true
      restore()
    },
    /** Shows row `key` `margin` px below the viewport's top. */
    scrollToKey(key: string, margin = 0) {
      if (layout.value.indexOf(key) < 0) return
      stick = false
      anchor = { key, delta: -margin }
      restore()
    },
  }
}
