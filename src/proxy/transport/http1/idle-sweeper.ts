// Coarse idle timeouts: one interval timer per timeout value instead of one timer per socket.
//
// A socket timeout (`socket.setTimeout`) re-inserts its timer in Node's timer list on every read
// and every write. For timeouts of seconds or minutes that precision is wasted: here a member
// marks activity with one field store (`idleTicks = 0`) and a shared sweep, four times per
// timeout, counts how long each member has been quiet. A member expires between 1× and 1.25× its
// timeout after its last activity, never earlier.
export interface IdleMember {
  /** Sweeps since the last activity; the member sets it to 0 whenever it is active. */
  idleTicks: number;
  /** The timeout elapsed. The member decides what to do (and calls `remove` if it closes). */
  onIdle(): void;
}

const TICKS = 4;

export class IdleSweeper {
  private readonly members = new Set<IdleMember>();
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;

  constructor(readonly timeoutMs: number) {
    this.tickMs = Math.max(1, Math.ceil(timeoutMs / TICKS));
  }

  add(m: IdleMember): void {
    m.idleTicks = 0;
    this.members.add(m);
    if (!this.timer) {
      this.timer = setInterval(this.sweep, this.tickMs);
      this.timer.unref();
    }
  }

  remove(m: IdleMember): void {
    this.members.delete(m);
    if (this.members.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  get size(): number {
    return this.members.size;
  }

  private readonly sweep = (): void => {
    for (const m of this.members) {
      // TICKS + 1 sweeps: the first one may come right after the last activity.
      if (++m.idleTicks > TICKS) {
        m.idleTicks = 0;
        m.onIdle();
      }
    }
  };
}

const shared = new Map<number, IdleSweeper>();

/** The sweeper for one timeout value, shared by every connection that uses it. */
export function idleSweeper(timeoutMs: number): IdleSweeper {
  let s = shared.get(timeoutMs);
  if (!s) shared.set(timeoutMs, (s = new IdleSweeper(timeoutMs)));
  return s;
}
