// Reconnect delays: exponential, capped, with jitter. The jitter matters when the control plane
// restarts: every proxy lost it at the same instant, and without jitter they would all come back
// in the same millisecond, every time.

export interface BackoffOptions {
  /** First delay. Default 100 ms. */
  initialMs?: number;
  /** Cap. Default 5000 ms. */
  maxMs?: number;
}

/** The delay before retry number `attempt` (0-based): uniform in [d/2, d], d = min(max, initial·2^attempt). */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 100;
  const max = opts.maxMs ?? 5000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  // "Equal jitter": never less than half the step, so a flapping control plane is not hammered.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
