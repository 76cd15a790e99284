// One proxy's stream as the control plane sees it: the versions it sent, what the proxy said back,
// and pushing the proxy's current snapshot when something it depends on changed.
import { createHash } from 'node:crypto';
import type { ServerHttp2Stream } from 'node:http2';
import type { Snapshot } from '../../model/snapshot.js';
import type { AckMessage, NackMessage, NodeInfo } from './protocol.js';
import { SNAPSHOT_TAIL, deltaHead, snapshotHead } from './protocol.js';
import { encodeDelta } from './delta.js';
import { layoutOf, type SnapshotLayout } from './layout.js';
import type { Caller } from './auth.js';
import type { DiscoveryLog, EncodedSnapshot, ProxyStatus, SnapshotProvider, SyncState } from './types.js';

export class ProxyConnection {
  readonly connectedSince = new Date();
  private version: number;
  private lastSentVersion: number | undefined;
  private lastAckedVersion: number | undefined;
  private lastNack: { version: number; error: string; at: string } | undefined;
  /**
   * Content version of the snapshot last sent: an unchanged snapshot is not sent again. A digest,
   * not the text: thousands of proxies times a large mesh's snapshot would otherwise sit in memory twice.
   */
  private lastSentDigest: string | undefined;
  /**
   * What the proxy holds as the base of the next delta: the version and layout of the snapshot
   * last sent to it (undefined: send a whole one). The layout's pieces are shared with the other
   * proxies of its class, so remembering it costs this proxy's own small pieces only.
   */
  private base: HeldSnapshot | undefined;
  /** Versions above this one were sent as deltas: a NACK of one of them asks for a whole snapshot. */
  private lastFullVersion = 0;
  // Backpressure: while the stream's buffer is full, remember only that a push is owed. The
  // snapshot is computed when the buffer drains, so a slow proxy gets the newest one and the
  // control plane never queues stale versions for it.
  private blocked = false;
  private owed = false;

  constructor(
    readonly stream: ServerHttp2Stream,
    readonly node: NodeInfo,
    readonly caller: Caller,
    readonly peer: string,
    /** The highest version this proxy has seen; the next one sent is above it. */
    lastVersion: number,
    private readonly provider: SnapshotProvider,
    private readonly log: DiscoveryLog,
    /** The proxy's hello said it understands delta messages. */
    private readonly acceptsDelta = false,
    /** What the proxy holds from its previous stream, when it said so and it is known: the first push may be a delta. */
    resume?: HeldSnapshot,
  ) {
    this.version = lastVersion;
    if (acceptsDelta) this.base = resume;
    stream.on('drain', () => {
      this.blocked = false;
      if (this.owed) {
        this.owed = false;
        this.push();
      }
    });
  }

  /** Versions already used on this node's streams, for a stream that replaces this one. */
  get highestVersion(): number {
    return this.version;
  }

  /** Send the proxy's current snapshot if it differs from the last one sent. */
  push(): void {
    if (this.stream.destroyed || this.stream.closed) return;
    if (this.blocked) {
      this.owed = true;
      return;
    }
    let encoded: EncodedSnapshot;
    try {
      encoded = this.provider.encodedSnapshotFor?.(this.node) ?? encode(this.provider.snapshotFor(this.node), this.acceptsDelta);
    } catch (err) {
      // The proxy keeps serving what it has; a later change retries.
      this.log.error('cannot compute snapshot; the proxy keeps its current one', { node: this.node.id, error: (err as Error).message });
      return;
    }
    if (encoded.contentVersion === this.lastSentDigest) return;
    const version = ++this.version;
    const delta = this.deltaFor(encoded);
    this.lastSentDigest = encoded.contentVersion;
    this.lastSentVersion = version;
    const base = this.base;
    this.base = this.acceptsDelta && encoded.layout !== undefined ? { version, layout: encoded.layout } : undefined;
    let head: string;
    let chunks: readonly Uint8Array[];
    if (delta !== undefined && base !== undefined) {
      head = deltaHead(version, base.version);
      chunks = delta;
    } else {
      head = snapshotHead(version);
      chunks = encoded.chunks;
      this.lastFullVersion = version;
    }
    this.log.debug('push snapshot', { node: this.node.id, version, delta: delta !== undefined });
    // Piece by piece: shared pieces are written as the same Buffer to every stream (no copy per
    // proxy); cork makes them one writev.
    this.stream.cork();
    let ok = this.stream.write(head);
    for (const chunk of chunks) ok = this.stream.write(chunk) && ok;
    ok = this.stream.write(SNAPSHOT_TAIL) && ok;
    this.stream.uncork();
    if (!ok) this.blocked = true;
  }

  /**
   * What the proxy holds if it holds `version`: the base a replacing stream of the same proxy can
   * start from (a reconnect for a renewed certificate sends a delta, not the whole snapshot).
   */
  heldSnapshot(version: number): HeldSnapshot | undefined {
    return this.base?.version === version ? this.base : undefined;
  }

  /**
   * The delta from the snapshot last sent to `encoded`, when the proxy takes deltas, the base is
   * known and the delta is smaller than the whole snapshot.
   */
  private deltaFor(encoded: EncodedSnapshot): readonly Uint8Array[] | undefined {
    if (this.base === undefined || encoded.layout === undefined) return undefined;
    let delta: Uint8Array[] | undefined;
    try {
      delta = encodeDelta(this.base.layout, encoded.layout);
    } catch (err) {
      this.log.error('cannot compute a delta; sending the whole snapshot', { node: this.node.id, error: (err as Error).message });
      return undefined;
    }
    if (delta === undefined) return undefined;
    let deltaBytes = 0;
    for (const c of delta) deltaBytes += c.length;
    let fullBytes = 0;
    for (const c of encoded.chunks) fullBytes += c.length;
    return deltaBytes < fullBytes ? delta : undefined;
  }

  onReply(message: AckMessage | NackMessage): void {
    if (this.lastSentVersion === undefined || message.version > this.lastSentVersion) {
      this.log.warn('proxy answered a version that was not sent on this stream', { node: this.node.id, version: message.version });
      return;
    }
    if (message.type === 'ack') {
      // An ACK of an older version can arrive after a newer one's (the proxy skipped ahead).
      if (this.lastAckedVersion === undefined || message.version > this.lastAckedVersion) this.lastAckedVersion = message.version;
      return;
    }
    this.lastNack = { version: message.version, error: message.error, at: new Date().toISOString() };
    this.log.warn('proxy refused snapshot', { node: this.node.id, version: message.version, error: message.error });
    if (message.version > this.lastFullVersion) {
      // A refused delta (its base was not what the proxy holds, or it did not apply, or the result
      // did not validate): nothing is known about what the proxy holds; start over with a whole one.
      this.base = undefined;
      this.lastSentDigest = undefined;
      this.push();
    }
  }

  status(): ProxyStatus {
    const status: ProxyStatus = {
      nodeId: this.node.id,
      spiffeId: this.caller.spiffeId,
      node: this.node,
      peer: this.peer,
      connectedSince: this.connectedSince.toISOString(),
      state: this.syncState(),
    };
    if (this.lastSentVersion !== undefined) status.lastSentVersion = this.lastSentVersion;
    if (this.lastAckedVersion !== undefined) status.lastAckedVersion = this.lastAckedVersion;
    if (this.lastNack !== undefined) status.lastNack = { ...this.lastNack };
    return status;
  }

  private syncState(): SyncState {
    if (this.lastSentVersion === undefined) return 'not-sent';
    if (this.lastAckedVersion === this.lastSentVersion) return 'synced';
    if (this.lastNack?.version === this.lastSentVersion) return 'nacked';
    return 'pending';
  }
}

/** A snapshot sent to a proxy: its stream version and its entries. */
export interface HeldSnapshot {
  readonly version: number;
  readonly layout: SnapshotLayout;
}

/** A provider without its own encoding: serialize once, and take the text's digest as its version. */
function encode(snapshot: Snapshot, withLayout: boolean): EncodedSnapshot {
  const json = Buffer.from(JSON.stringify(snapshot));
  return { contentVersion: createHash('sha256').update(json).digest('base64'), chunks: [json], ...(withLayout ? { layout: layoutOf(snapshot) } : {}) };
}
