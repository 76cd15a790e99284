// Coalescing bursts of changes. An apply of 50 resources, or 20 workloads starting together,
// should cost each affected proxy one new snapshot, not 50. A push happens after `delayMs` without
// any new change (quiet period), but never later than `maxDelayMs` after the first change of the
// burst, so a steady trickle of changes cannot postpone pushes forever.
import type { AffectedNodes } from './types.js';

export class ChangeDebouncer {
  private pending: Set<string> | 'all' | undefined;
  private firstAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly maxDelayMs: number,
    private readonly flush: (nodes: AffectedNodes) => void,
  ) {}

  add(nodes: AffectedNodes): void {
    if (this.pending === undefined) {
      this.pending = nodes === 'all' ? 'all' : new Set(nodes);
      this.firstAt = Date.now();
    } else if (this.pending !== 'all') {
      if (nodes === 'all') this.pending = 'all';
      else for (const id of nodes) this.pending.add(id);
    }
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.delayMs, this.firstAt + this.maxDelayMs - Date.now()));
    this.timer = setTimeout(() => this.fire(), wait);
  }

  close(): void {
    clearTimeout(this.timer);
    this.pending = undefined;
  }

  private fire(): void {
    const nodes = this.pending;
    this.pending = undefined;
    this.timer = undefined;
    if (nodes !== undefined) this.flush(nodes);
  }
}
