// Ports for the mesh's processes in local mode. A sidecar binds the ports the control plane put in
// its snapshot, so the launcher must choose them before the process starts, and a chosen port is
// free for a moment only. Asking the kernel for one (listen on 0, then close) hands out a port of
// the ephemeral range — the same range the kernel uses for every outgoing connection and every
// other `listen(0)` on the machine — so under load another process could take it before the
// sidecar binds it (seen in CI: an outbound port later answered by another proxy's admin server).
// Choosing below the ephemeral range, at random, and checking that it binds makes that race
// unlikely: nothing takes those ports unless asked to by number.
import { readFileSync } from 'node:fs';
import { tryListen } from './port-check.js';

const LOWEST = 20_000;

export class PortAllocator {
  private readonly given = new Set<number>();
  private readonly highest: number;

  /** `reserved`: ports that must not be handed out (fixed ports the mesh binds itself). */
  constructor(private readonly reserved: ReadonlySet<number> = new Set()) {
    this.highest = Math.max(LOWEST + 1000, ephemeralRangeStart() - 1);
  }

  /** A port that bound on 127.0.0.1 just now, never handed out before by this allocator. */
  async next(): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (this.highest - LOWEST + 1));
      if (this.given.has(port) || this.reserved.has(port)) continue;
      if ((await tryListen('127.0.0.1', port)) === undefined) {
        this.given.add(port);
        return port;
      }
    }
    throw new Error(`no free port between ${LOWEST} and ${this.highest} on 127.0.0.1 after 200 tries`);
  }
}

/** The first port of the kernel's ephemeral range (Linux), 32768 when it cannot be read. */
function ephemeralRangeStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOWEST ? first : 32768;
  } catch {
    return 32768;
  }
}
