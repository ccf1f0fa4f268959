// Debounced, forward-only posting of a watermark (delivered_seq or read_seq).
//
// Scrolling through a chat offers many seqs in a burst; only the highest one matters and the
// server ignores anything lower than what it has, so we send at most one request per delay and
// never a value we already sent.

export type Post = (value: number) => Promise<void>

export class WatermarkPoster {
  /** Highest value the server acknowledged (or that we started from). */
  posted: number
  /** Highest value offered, not yet posted. */
  wanted: number
  private timer: ReturnType<typeof setTimeout> | null = null
  private inFlight = false

  constructor(
    private readonly post: Post,
    initial = 0,
    private readonly delayMs = 400,
  ) {
    this.posted = initial
    this.wanted = initial
  }

  /** Offer a value; lower or equal values than what we have are ignored. */
  offer(value: number): void {
    if (value <= this.wanted) return
    this.wanted = value
    this.schedule()
  }

  /** The server told us (receipt event, sidebar) that it already has `value`. */
  known(value: number): void {
    if (value > this.posted) this.posted = value
    if (value > this.wanted) this.wanted = value
  }

  private schedule(): void {
    if (this.timer !== null || this.inFlight) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.flush()
    }, this.delayMs)
  }

  async flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.inFlight || this.wanted <= this.posted) return
    const value = this.wanted
    this.inFlight = true
    let ok = true
    try {
      await this.post(value)
      if (value > this.posted) this.posted = value
    } catch {
      // Forget the offer so that offering the same value again retries (no retry loop here).
      ok = false
      this.wanted = this.posted
    } finally {
      this.inFlight = false
    }
    if (ok && this.wanted > this.posted) this.schedule()
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }
}
