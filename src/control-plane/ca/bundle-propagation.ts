// Waiting until every connected proxy has acknowledged a pushed trust bundle (root rotation, phase
// 1): issuance must not switch to the new root while a proxy could still refuse its certificates.
import type { Propagation } from './live-authority.js';

/** The part of discovery's per-proxy status this needs. */
export interface SyncView {
  nodeId: string;
  lastSentVersion?: number;
  lastAckedVersion?: number;
  lastNack?: { version: number };
}

export interface AwaitOptions {
  /** Give up waiting after this long (a stuck proxy must not block the rotation). Default 10 s. */
  timeoutMs?: number;
  pollMs?: number;
}

/**
 * `push` makes every connected proxy's snapshot change (it now holds the new bundle); a proxy has
 * the bundle once it acknowledged a version above the one it was last sent before the push. A NACK
 * of such a version also ends its wait: it answered, and a proxy refusing it is reported.
 */
export async function pushAndAwaitAcks(status: () => SyncView[], push: () => void, options: AwaitOptions = {}): Promise<Propagation> {
  // Proxies sent nothing yet (not started by this control plane, or just connecting) get the new
  // bundle with their first snapshot: nothing to wait for.
  const before = new Map(status().flatMap((s) => (s.lastSentVersion === undefined ? [] : [[s.nodeId, s.lastSentVersion] as const])));
  push();
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const pollMs = options.pollMs ?? 50;
  for (;;) {
    const now = new Map(status().map((s) => [s.nodeId, s]));
    // Proxies gone meanwhile are not waited for; new ones get the new bundle in their first snapshot.
    const pending = [...before.entries()].filter(([id, sent]) => {
      const s = now.get(id);
      if (s === undefined) return false;
      return !((s.lastAckedVersion ?? 0) > sent || (s.lastNack?.version ?? 0) > sent);
    });
    const waited = [...before.keys()].filter((id) => now.has(id));
    if (pending.length === 0 || Date.now() >= deadline) {
      return { proxies: waited.length, acknowledged: waited.length - pending.length, pending: pending.map(([id]) => id).sort() };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
