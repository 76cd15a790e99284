// Root rotation with an overlap, and when a workload renews its certificate.
//
// Rotating: a new root is created and signs from then on; the old root stays in the trust bundle
// until the overlap ends, so certificates it issued keep verifying while their workloads renew
// (at half-life) onto the new root. The overlap must therefore outlast the longest leaf lifetime.
//
// Rotation touches three files (root key, root cert, retired roots), and no rename makes three
// files change at once. So a journal is written first, atomically, holding everything the rotation
// will write; then the files are written; then the journal is removed. A crash before the journal
// exists leaves the old root in place; after, the next start replays the journal (each step is an
// idempotent overwrite). Either way the state is whole.
import path from 'node:path';
import { createRoot, rootPaths, writeRoot } from './root.js';
import { SECRET_MODE, readJsonStateFile, readStateFileIfExists, removeStateFile, writeFileAtomic } from './state-files.js';
import { TrustBundle, retiredRootsFromJson, retiredRootsToJson, type TrustedRoot } from './trust-bundle.js';
import type { CertificateAuthority } from './types.js';
import { P256, x509 } from './x509.js';

/** Twice the default 24 h leaf lifetime: every old-root leaf has expired, not only been renewed. */
export const DEFAULT_OVERLAP_MS = 48 * 60 * 60 * 1000;

export function retiredRootsPath(stateDir: string): string {
  return path.join(stateDir, 'ca', 'retired-roots.json');
}

function journalPath(stateDir: string): string {
  return path.join(stateDir, 'ca', 'rotation-journal.json');
}

interface Journal {
  newRootCertificate: string;
  newRootKey: string;
  retiredRoots: ReturnType<typeof retiredRootsToJson>['retiredRoots'];
}

export interface RotateOptions {
  /** How long the old root stays trusted. Default DEFAULT_OVERLAP_MS. */
  overlapMs?: number;
  now?: Date;
}

/**
 * Replace the self-signed root of `ca` (persisted in `stateDir`) by a new one. Returns the new
 * authority: it signs with the new root, and its bundle trusts the new root plus the old one (and
 * any earlier root whose overlap has not ended yet).
 */
export async function rotateRoot(ca: CertificateAuthority, stateDir: string, options: RotateOptions = {}): Promise<CertificateAuthority> {
  if (ca.source !== 'self-signed') {
    throw new Error('a plug-in CA is rotated by replacing its files (--ca-cert, --ca-key, --ca-chain), not by maille');
  }
  const now = options.now ?? new Date();
  const overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS;
  if (!(overlapMs > 0)) throw new Error(`root rotation overlap must be a positive duration, got ${overlapMs} ms`);

  const newRoot = await createRoot(ca.trustDomain, now);
  const stillTrusted = ca.trustBundle.prune(now).roots.filter((r) => r.trustedUntil !== undefined);
  const retired: TrustedRoot[] = [...stillTrusted, { cert: ca.signer.root, trustedUntil: new Date(now.getTime() + overlapMs) }];
  const journal: Journal = {
    newRootCertificate: newRoot.cert.toString('pem'),
    newRootKey: newRoot.keyPem,
    retiredRoots: retiredRootsToJson(retired).retiredRoots,
  };
  // The journal holds the new key: same mode as the key file.
  await writeFileAtomic(journalPath(stateDir), JSON.stringify(journal, null, 2) + '\n', { mode: SECRET_MODE });
  await applyJournal(stateDir, journal);

  return {
    trustDomain: ca.trustDomain,
    source: 'self-signed',
    signer: { cert: newRoot.cert, key: newRoot.key, algorithm: P256, chain: [], root: newRoot.cert },
    trustBundle: new TrustBundle([{ cert: newRoot.cert }, ...retired]),
  };
}

/** Finish a rotation that a crash interrupted; nothing to do when no journal is there. */
export async function completePendingRotation(stateDir: string): Promise<boolean> {
  const file = journalPath(stateDir);
  if ((await readStateFileIfExists(file)) === undefined) return false;
  const json = (await readJsonStateFile(file)) as Partial<Journal> | null;
  if (typeof json?.newRootCertificate !== 'string' || typeof json.newRootKey !== 'string' || !Array.isArray(json.retiredRoots)) {
    throw new Error(`${file}: incomplete rotation journal; restore it or remove it to keep the current root`);
  }
  await applyJournal(stateDir, json as Journal);
  return true;
}

async function applyJournal(stateDir: string, journal: Journal): Promise<void> {
  await writeFileAtomic(retiredRootsPath(stateDir), JSON.stringify({ retiredRoots: journal.retiredRoots }, null, 2) + '\n');
  await writeRoot(rootPaths(stateDir), { cert: new x509.X509Certificate(journal.newRootCertificate), keyPem: journal.newRootKey });
  await removeStateFile(journalPath(stateDir));
}

/** The retired roots still recorded in the state directory (none before the first rotation). */
export async function loadRetiredRoots(stateDir: string): Promise<TrustedRoot[]> {
  const file = retiredRootsPath(stateDir);
  if ((await readStateFileIfExists(file)) === undefined) return [];
  return retiredRootsFromJson(await readJsonStateFile(file), file);
}

/** Drop retired roots whose overlap has ended from the state directory; true when it changed. */
export async function pruneRetiredRoots(stateDir: string, bundle: TrustBundle, now: Date = new Date()): Promise<boolean> {
  const retired = bundle.roots.filter((r) => r.trustedUntil !== undefined);
  const kept = bundle.prune(now).roots.filter((r) => r.trustedUntil !== undefined);
  if (kept.length === retired.length) return false;
  await writeFileAtomic(retiredRootsPath(stateDir), JSON.stringify(retiredRootsToJson(kept), null, 2) + '\n');
  return true;
}

/**
 * When a workload should renew its certificate: at half of its lifetime (DESIGN §2). Half-life
 * leaves the other half to retry through a control-plane outage before the certificate expires.
 */
export function renewAt(cert: { notBefore: Date; notAfter: Date } | string): Date {
  const { notBefore, notAfter } = typeof cert === 'string' ? new x509.X509Certificate(cert) : cert;
  return new Date(notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) / 2);
}
