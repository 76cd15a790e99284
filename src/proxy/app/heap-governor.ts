// Keeps a proxy's old generation from growing on garbage while its code warms up.
//
// Under its first seconds of load a proxy runs unoptimized code: each request allocates more and
// lives longer, so V8's scavenges promote ~0.2 MB of per-request objects each, and the old
// generation climbs from ~6 to ~12 MB of which ~5 MB is garbage. V8 collects it only when the
// old generation reaches its first limit (the live size plus an 8 MB minimum step), and keeps
// the pages it had committed: +4–5 MB of peak RSS for nothing. After warm-up almost nothing is
// promoted. V8 has a 2 MB step for small devices, but it is chosen from flags (a heap limit under
// ~128 MB, --optimize-for-size) that cannot be set once the process runs, and bin/maille.js is
// started as `node bin/maille.js proxy` by the bench, the launcher and users.
//
// So: a coarse timer reads how much of the old generation is in use; when it grew by more than a
// step (1 MB) since the last collection, it runs a full GC. A collection that frees little means
// the live data grew (more connections, a bigger snapshot), not garbage: the step then doubles,
// so a growing proxy is not collected over and over. At most one forced GC per `minGapMs`, none
// above `ceilingBytes` (there V8's own schedule is right), and the timer never keeps the process
// alive. Measured in docs/performance.md ("Memory"): peak RSS −1.5 to −3 MB, a few full GCs of
// ~5–10 ms during the first seconds of load, none in steady state.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface HeapGovernorPolicy {
  /** Growth of the old generation (bytes in use) that triggers a full GC. */
  stepBytes: number;
  /** The step doubles up to this when collections free little. */
  maxStepBytes: number;
  /** Never two forced GCs closer than this. */
  minGapMs: number;
  /** Above this much in use, V8's own schedule decides. */
  ceilingBytes: number;
  /** How often the old generation is read. */
  intervalMs: number;
}

export const HEAP_GOVERNOR_DEFAULTS: HeapGovernorPolicy = {
  stepBytes: 1 << 20,
  maxStepBytes: 32 << 20,
  minGapMs: 250,
  ceilingBytes: 64 << 20,
  intervalMs: 100,
};

/** The decisions, apart from the clock and the heap (so they can be tested). */
export class OldSpaceGovernor {
  /** Bytes in use after the last collection (forced, or one V8 ran: the reading dropped). */
  private base = -1;
  private step: number;
  private lastForced = -Infinity;
  forced = 0;

  constructor(private readonly policy: HeapGovernorPolicy) {
    this.step = policy.stepBytes;
  }

  /** `used`: old-generation bytes in use now. True when a full GC should run. */
  shouldCollect(used: number, now: number): boolean {
    if (this.base < 0 || used < this.base) {
      this.base = used;
      return false;
    }
    if (used > this.policy.ceilingBytes) return false;
    return used - this.base > this.step && now - this.lastForced >= this.policy.minGapMs;
  }

  /** After a forced GC: what was in use before and after it. */
  collected(before: number, after: number, now: number): void {
    this.forced++;
    this.lastForced = now;
    this.base = after;
    const freed = before - after;
    this.step = freed < this.step / 2 ? Math.min(this.step * 2, this.policy.maxStepBytes) : this.policy.stepBytes;
  }

  get currentStep(): number {
    return this.step;
  }
}

function oldSpaceUsed(): number {
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'old_space') return s.space_used_size;
  return 0;
}

export interface HeapGovernor {
  readonly governor: OldSpaceGovernor;
  stop(): void;
}

/** Starts the governor in this process. */
export function startHeapGovernor(policy: HeapGovernorPolicy = HEAP_GOVERNOR_DEFAULTS): HeapGovernor {
  // `gc` only exists in contexts created after --expose-gc is set; a new vm context is one.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const governor = new OldSpaceGovernor(policy);
  const timer = setInterval(() => {
    const used = oldSpaceUsed();
    const now = performance.now();
    if (!governor.shouldCollect(used, now)) return;
    gc();
    governor.collected(used, oldSpaceUsed(), now);
  }, policy.intervalMs);
  timer.unref();
  return { governor, stop: () => clearInterval(timer) };
}
