// A snapshot's version is a hash of its content: the same configuration gives the same version
// on every control plane and after every restart, and any change gives a new one, so a proxy
// can tell "nothing changed" without comparing snapshots.
import { createHash } from 'node:crypto';

export function contentVersion(content: unknown): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
}
