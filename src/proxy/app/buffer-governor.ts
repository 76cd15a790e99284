// Keeps the garbage of TLS reads and writes from piling up between two scavenges.
//
// A TLS socket hands each read to JavaScript in a new Buffer with its own malloc'd backing store
// (plaintext sockets here read into one reused buffer, transport/http1/read-port.ts). Those
// Buffers die young, but V8 frees their memory only when it scavenges, and it scavenges when the
// 1 MB young generation is full of JavaScript objects, not of Buffer memory: under mTLS load
// 3–9 MB of dead backing stores wait for the next scavenge, glibc's heap grows to hold them and
// keeps the pages. Measured with the mTLS pair (docs/performance.md, "Memory"): external memory
// peaks at 7–9 MB, of which ~1 MB is alive; the malloc heap 8–9.7 MB instead of ~4 MB.
//
// So: a timer reads V8's external memory (4 µs) and, when it is more than a step (1 MB) above the
// lowest reading of the last second (what is alive, roughly), runs a scavenge (minor GC, ~0.2 ms
// on a 1 MB young generation). It cannot judge a scavenge by what it freed at once: V8 frees dead
// backing stores on a background thread, a little later. While external memory moves it reads
// every `fastMs`, on a quiet process every `slowMs`. Live buffers that grow (more connections, a
// big body) raise the floor within a second, so they do not cause scavenges over and over.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface BufferGovernorPolicy {
  /** External memory this far above the floor triggers a scavenge. */
  stepBytes: number;
  /** The floor is the lowest reading within this window. */
  floorWindowMs: number;
  /** Reading interval while external memory moves. */
  fastMs: number;
  /** Reading interval on a quiet process. */
  slowMs: number;
  /** External memory moving by less than this between readings counts as quiet. */
  quietBytes: number;
}

export const BUFFER_GOVERNOR_DEFAULTS: BufferGovernorPolicy = {
  stepBytes: 1 << 20,
  floorWindowMs: 1000,
  fastMs: 5,
  slowMs: 100,
  quietBytes: 64 << 10,
};

/** Picks the next reading interval: fast while external memory moves, slow once it is quiet. */
export class ReadingPace {
  private last = -1;
  private quietReadings = 0;

  constructor(private readonly policy: BufferGovernorPolicy) {}

  /** `external`: bytes now; `collected`: a scavenge just ran. Returns the delay to the next reading. */
  next(external: number, collected: boolean): number {
    const moved = this.last < 0 ? 0 : Math.abs(external - this.last);
    this.last = external;
    if (collected || moved >= this.policy.quietBytes) this.quietReadings = 0;
    else this.quietReadings++;
    // Twenty quiet fast readings (100 ms) before slowing down: traffic comes in bursts.
    return this.quietReadings > 20 ? this.policy.slowMs : this.policy.fastMs;
  }
}

/** When to scavenge, apart from the clock and the heap (so it can be tested). */
export class ExternalFloor {
  private floor = Infinity;
  private nextFloor = Infinity;
  private windowEnds = -Infinity;
  collections = 0;

  constructor(private readonly policy: BufferGovernorPolicy) {}

  /** `external`: bytes now. True when a scavenge should run. */
  shouldCollect(external: number, now: number): boolean {
    // Two half-windows: the floor is the minimum of the previous one and the current one.
    if (now >= this.windowEnds) {
      this.floor = Math.min(this.nextFloor, external);
      this.nextFloor = external;
      this.windowEnds = now + this.policy.floorWindowMs / 2;
    }
    this.floor = Math.min(this.floor, external);
    this.nextFloor = Math.min(this.nextFloor, external);
    const collect = external - this.floor > this.policy.stepBytes;
    if (collect) this.collections++;
    return collect;
  }
}

export interface BufferGovernor {
  readonly floor: ExternalFloor;
  stop(): void;
}

/** Starts the buffer governor in this process. */
export function startBufferGovernor(policy: BufferGovernorPolicy = BUFFER_GOVERNOR_DEFAULTS): BufferGovernor {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
  const floor = new ExternalFloor(policy);
  const pace = new ReadingPace(policy);
  let timer: NodeJS.Timeout | undefined;
  const read = (): void => {
    const external = v8.getHeapStatistics().external_memory;
    const collect = floor.shouldCollect(external, performance.now());
    if (collect) gc({ type: 'minor' });
    timer = setTimeout(read, pace.next(external, collect));
    timer.unref();
  };
  timer = setTimeout(read, policy.slowMs);
  timer.unref();
  return { floor, stop: () => clearTimeout(timer) };
}
