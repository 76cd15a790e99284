// A retry budget, with Linkerd's semantics (ServiceProfile retryBudget, implemented there by
// Tower's TpsBudget, itself Finagle's RetryBudget):
//
//   retries allowed in any ttl window = minRetriesPerSecond × ttl seconds
//                                       + retryRatio × original requests in that window
//
// Every original request deposits (deposit()); every retry withdraws one (tryWithdraw()), and a
// withdrawal the balance cannot cover is refused: the request fails with the error it got instead
// of being retried. Why a budget on top of "attempts": attempts bound retries per request, not in
// total. When an upstream is down, 3 attempts multiply the load on it by 4 exactly when it can
// least take it (a retry storm, often across several hops). The budget caps the extra load at
// retryRatio of real traffic, plus a small floor so a quiet service can still retry now and then.
//
// Deposits and withdrawals are kept in BUCKETS slots of ttl/BUCKETS each (a ring); a slot older
// than ttl is cleared before it is reused, so both age out after ttl. Note the floor is a per-window
// allowance, not a per-second refill: up to minRetriesPerSecond × ttl retries can be spent at once,
// then they come back as the window slides, as in Linkerd.
//
// Default when a cluster sets no budget: Linkerd's own default (retryRatio 0.2, minRetriesPerSecond
// 10, ttl 10 s). 20 % means retries can at most add a fifth to the load on a failing upstream,
// which covers the occasional failed try on a healthy service with room to spare, while
// 10/s keeps retries possible for low-traffic services whose 20 % would round to nothing.
import type { RetryBudget as RetryBudgetConfig } from '../../model/snapshot.js';
import type { Clock } from './types.js';

export const DEFAULT_RETRY_BUDGET: Readonly<Required<RetryBudgetConfig>> = {
  retryRatio: 0.2,
  minRetriesPerSecond: 10,
  ttlMs: 10_000,
};

/** Tower and Finagle only accept a ttl between 1 s and 60 s; so does maille (values are clamped). */
export const MIN_TTL_MS = 1_000;
export const MAX_TTL_MS = 60_000;

const BUCKETS = 10;

export class RetryBudget {
  private ratio = 0;
  private reserve = 0;
  private ttlMs = 0;
  private bucketMs = 0;
  private readonly deposits = new Float64Array(BUCKETS);
  private readonly withdrawals = new Float64Array(BUCKETS);
  /** Absolute index (time / bucketMs) of the newest bucket written. */
  private current = -1;
  /** Counters for metrics. */
  readonly stats = { deposits: 0, withdrawals: 0, refused: 0 };

  constructor(
    config: RetryBudgetConfig | undefined = undefined,
    private readonly clock: Clock = Date.now,
  ) {
    this.configure(config);
  }

  /**
   * New settings from a new snapshot. What was deposited and withdrawn so far is kept (when the
   * ttl changes, the window restarts, because buckets of another width cannot be carried over).
   */
  configure(config: RetryBudgetConfig | undefined): void {
    const c = config ?? DEFAULT_RETRY_BUDGET;
    const ttlMs = Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, c.ttlMs ?? DEFAULT_RETRY_BUDGET.ttlMs));
    if (ttlMs !== this.ttlMs) {
      this.deposits.fill(0);
      this.withdrawals.fill(0);
      this.current = -1;
    }
    this.ttlMs = ttlMs;
    this.bucketMs = ttlMs / BUCKETS;
    this.ratio = c.retryRatio;
    this.reserve = c.minRetriesPerSecond * (ttlMs / 1000);
  }

  /** Counts one original request (not a retry) toward the ratio. */
  deposit(): void {
    const b = this.advance();
    this.deposits[b]++;
    this.stats.deposits++;
  }

  /** Takes one retry from the budget if the balance covers it. */
  tryWithdraw(): boolean {
    const b = this.advance();
    // The epsilon absorbs rounding in ratio × deposits (0.1 × 10 must make a whole retry).
    if (this.balanceNow() < 1 - 1e-9) {
      this.stats.refused++;
      return false;
    }
    this.withdrawals[b]++;
    this.stats.withdrawals++;
    return true;
  }

  /** Retries that could be taken right now (may be fractional). */
  balance(): number {
    this.advance();
    return this.balanceNow();
  }

  private balanceNow(): number {
    let d = 0;
    let w = 0;
    for (let i = 0; i < BUCKETS; i++) {
      d += this.deposits[i];
      w += this.withdrawals[i];
    }
    return this.reserve + this.ratio * d - w;
  }

  /** Moves the window to the clock, clearing buckets that fell out of it; returns the slot. */
  private advance(): number {
    const idx = Math.floor(this.clock() / this.bucketMs);
    if (this.current === -1) {
      this.current = idx;
    } else if (idx > this.current) {
      const gap = Math.min(idx - this.current, BUCKETS);
      for (let k = 1; k <= gap; k++) {
        const slot = (this.current + k) % BUCKETS;
        this.deposits[slot] = 0;
        this.withdrawals[slot] = 0;
      }
      this.current = idx;
    }
    // A clock that steps backwards keeps writing into the newest bucket.
    return this.current % BUCKETS;
  }
}
