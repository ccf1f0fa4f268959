// Windowing for long lists with rows of different heights: only the rows near the viewport are
// rendered, spacers stand in for the rest. Heights are measured once a row was on screen and
// estimated before; `RowLayout` turns them into offsets (prefix sums) and answers which rows a
// scroll position shows. An anchor (a row and the distance of the viewport's top from it) keeps
// what the user looks at in place when rows are added above or change height.

export interface RowRange {
  /** First rendered row (inclusive). */
  start: number
  /** Last rendered row + 1. */
  end: number
}

export interface Anchor {
  key: string
  /** scrollTop minus the row's offset. */
  delta: number
}

export class RowLayout {
  readonly keys: readonly string[]
  private readonly index: Map<string, number>
  /** offsets[i] = top of row i; offsets[n] = total height. */
  private readonly offsets: Float64Array

  /** `previous`: the layout of the same keys array, whose key index is reused (new heights only). */
  constructor(keys: readonly string[], heights: ReadonlyMap<string, number>, estimate: number, previous?: RowLayout) {
    this.keys = keys
    const reuse = previous?.keys === keys
    this.index = reuse ? previous.index : new Map()
    this.offsets = new Float64Array(keys.length + 1)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!
      if (!reuse) this.index.set(k, i)
      this.offsets[i + 1] = this.offsets[i]! + (heights.get(k) ?? estimate)
    }
  }

  get count(): number {
    return this.keys.length
  }

  get total(): number {
    return this.offsets[this.keys.length]!
  }

  offsetOf(i: number): number {
    return this.offsets[Math.max(0, Math.min(i, this.keys.length))]!
  }

  indexOf(key: string): number {
    return this.index.get(key) ?? -1
  }

  /** The row at height `y` (the last row for y past the end, 0 for an empty list). */
  rowAt(y: number): number {
    let lo = 0
    let hi = this.keys.length - 1
    if (hi < 0) return 0
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.offsets[mid]! <= y) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** The rows to render for a viewport at `top` of `height`, with `overscan` px on both sides. */
  range(top: number, height: number, overscan: number): RowRange {
    if (this.keys.length === 0) return { start: 0, end: 0 }
    const start = this.rowAt(Math.max(0, top - overscan))
    const end = this.rowAt(top + height + overscan) + 1
    return { start, end: Math.min(end, this.keys.length) }
  }

  /**
   * What the viewport's top shows: the row there and how far into it. Rows `anchorable` refuses
   * (a day separator moves when older messages of that day are added above the one under it)
   * are passed for the next row, with a negative delta.
   */
  anchorAt(top: number, anchorable: (key: string) => boolean = () => true): Anchor | null {
    if (this.keys.length === 0) return null
    let i = this.rowAt(Math.max(0, top))
    while (i < this.keys.length - 1 && !anchorable(this.keys[i]!)) i++
    return { key: this.keys[i]!, delta: top - this.offsets[i]! }
  }

  /** The scroll position that shows `anchor` as it was, or null when its row is gone. */
  topFor(anchor: Anchor): number | null {
    const i = this.indexOf(anchor.key)
    return i < 0 ? null : this.offsets[i]! + anchor.delta
  }
}
