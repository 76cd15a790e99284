// The trust bundle travels to proxies inside their snapshot (`trustBundlePem`), so a root rotation
// reaches every proxy the way configuration does: versioned, acknowledged, resent on reconnect.
import { createHash } from 'node:crypto';
import type { Snapshot } from '../../model/snapshot.js';

export interface EncodedWithBundle {
  /** Concatenated: the snapshot's JSON text, bundle included. */
  readonly chunks: readonly Uint8Array[];
  /** Changes when the snapshot's own version or the bundle does. */
  readonly contentVersion: string;
  /** The snapshot as objects, parsed from the text on each read (read it rarely). */
  readonly snapshot: Snapshot;
}

/** The JSON tail carrying the bundle, built once per bundle and shared by every proxy's push. */
let tail: { pem: string; chunk: Buffer; digest: string } | undefined;

/**
 * Adds the bundle to a serialized snapshot. The pieces concatenate to a JSON object, whose closing
 * brace is moved after the added member; the pieces themselves (shared between proxies) are not copied.
 */
export function withTrustBundle(encoded: { readonly version: string; readonly chunks: readonly Uint8Array[] }, pem: string): EncodedWithBundle {
  if (tail?.pem !== pem) {
    tail = { pem, chunk: Buffer.from(`,"trustBundlePem":${JSON.stringify(pem)}}`), digest: createHash('sha256').update(pem).digest('hex').slice(0, 16) };
  }
  const chunks = [...encoded.chunks];
  let last = chunks.pop();
  // Pieces may be empty (a class without clusters); the brace is in the last non-empty one.
  while (last !== undefined && last.length === 0) last = chunks.pop();
  if (last === undefined || last[last.length - 1] !== 0x7d) throw new Error('snapshot JSON does not end with "}"');
  chunks.push(last.subarray(0, last.length - 1), tail.chunk);
  return {
    chunks,
    contentVersion: `${encoded.version}/${tail.digest}`,
    get snapshot(): Snapshot {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Snapshot;
    },
  };
}
