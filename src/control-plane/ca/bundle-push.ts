// The trust bundle travels to proxies inside their snapshot (`trustBundlePem`), so a root rotation
// reaches every proxy the way configuration does: versioned, acknowledged, resent on reconnect.
import { createHash } from 'node:crypto';
import type { Snapshot } from '../../model/snapshot.js';

export interface EncodedWithBundle {
  snapshot: Snapshot;
  chunks: readonly Uint8Array[];
  /** Changes when the snapshot's own version or the bundle does. */
  contentVersion: string;
}

/** The JSON tail carrying the bundle, built once per bundle and shared by every proxy's push. */
let tail: { pem: string; chunk: Buffer; digest: string } | undefined;

/**
 * Adds the bundle to a snapshot and to its serialized pieces. The pieces concatenate to a JSON
 * object, whose closing brace is moved after the added member.
 */
export function withTrustBundle(encoded: { snapshot: Snapshot; chunks: readonly Uint8Array[] }, pem: string): EncodedWithBundle {
  if (tail?.pem !== pem) {
    tail = { pem, chunk: Buffer.from(`,"trustBundlePem":${JSON.stringify(pem)}}`), digest: createHash('sha256').update(pem).digest('hex').slice(0, 16) };
  }
  const chunks = [...encoded.chunks];
  let last = chunks.pop();
  // Pieces may be empty (a class without clusters); the brace is in the last non-empty one.
  while (last !== undefined && last.length === 0) last = chunks.pop();
  if (last === undefined || last[last.length - 1] !== 0x7d) throw new Error('snapshot JSON does not end with "}"');
  chunks.push(last.subarray(0, last.length - 1), tail.chunk);
  return { snapshot: { ...encoded.snapshot, trustBundlePem: pem }, chunks, contentVersion: `${encoded.snapshot.version}/${tail.digest}` };
}
