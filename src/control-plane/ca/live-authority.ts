// The CA of a running control plane: what signs now, what proxies must trust now, and the two
// moments those change by themselves (a root rotation an operator asks for; an overlap ending).
//
// A rotation runs in two phases, so that no proxy ever meets a certificate it cannot verify:
//   1. the new root is written to the state directory (rotation.ts: journal, key 0600) and added
//      to the trust bundle; the bundle is pushed to every proxy and the control plane waits until
//      they have acknowledged it (bounded) — issuance still uses the old root meanwhile;
//   2. issuance switches to the new root, and the control plane's own SVID is reissued from it.
// Certificates from the old root keep working until their workloads renew them (half-life). When
// the overlap ends, the old root leaves the bundle, the state directory and the discovery listener.
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_SVID_TTL_MS, signWorkloadCsr } from './issue.js';
import { createWorkloadKeyAndCsr } from './csr.js';
import { factsOf, fingerprintOf, type CertificateFacts } from './describe.js';
import { DEFAULT_OVERLAP_MS, pruneRetiredRoots, rotateRoot } from './rotation.js';
import { writeFileAtomic } from './state-files.js';
import type { TrustBundle } from './trust-bundle.js';
import type { CaSigner, CertificateAuthority, WorkloadIdentity } from './types.js';

/** setTimeout's ceiling (~24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CaLog {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** The control plane's own TLS credentials (discovery listener). */
export interface OwnCredentials {
  certChainPem: string;
  keyPem: string;
  trustBundlePem: string;
}

/** How far a pushed trust bundle got. */
export interface Propagation {
  proxies: number;
  acknowledged: number;
  /** Proxies that had not acknowledged when the wait ended. */
  pending: string[];
}

export interface Hooks {
  /** Push the current bundle to every proxy; resolve once they acknowledged it (or gave up waiting). */
  propagate(): Promise<Propagation>;
  /** The trust bundle or the control plane's own SVID changed: new handshakes must use these. */
  onCredentials(creds: OwnCredentials): void;
}

export interface RootStatus extends CertificateFacts {
  /** active: signs new certificates; retired: trusted until `trustedUntil`. */
  state: 'active' | 'retired';
  trustedUntil?: string;
}

export interface CaStatus {
  trustDomain: string;
  source: 'self-signed' | 'plug-in';
  /** Fingerprint of the root that new certificates chain to. */
  signingRoot: string;
  roots: RootStatus[];
  /** When the last retired root leaves the bundle; absent outside an overlap. */
  overlapEndsAt?: string;
  svidTtlSeconds: number;
  /** Where the current bundle is written for processes started later (PEM). */
  trustBundleFile: string;
}

export interface RotationResult {
  previousRoot: CertificateFacts;
  newRoot: CertificateFacts;
  overlapEndsAt: string;
  propagation: Propagation;
}

/** A refusal the API maps to a status code (409: not now / not this CA; 400: bad request). */
export class CaOperationError extends Error {
  constructor(
    readonly status: 400 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CaOperationError';
  }
}

export interface LiveAuthorityOptions {
  ca: CertificateAuthority;
  stateDir: string;
  /** The identity the control plane's own SVID names. */
  ownIdentity: WorkloadIdentity;
  /** Lifetime of workload certificates; a rotation's overlap must be at least this long. */
  svidTtlMs?: number;
  log: CaLog;
}

export function trustBundleFile(stateDir: string): string {
  return path.join(stateDir, 'ca', 'trust-bundle.pem');
}

export class LiveAuthority {
  private signer: CaSigner;
  private bundle: TrustBundle;
  private own!: OwnCredentials & { renewAt: Date };
  private hooks: Hooks | undefined;
  private rotating = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly svidTtlMs: number;

  private constructor(private readonly opts: LiveAuthorityOptions) {
    this.signer = opts.ca.signer;
    this.bundle = opts.ca.trustBundle;
    this.svidTtlMs = opts.svidTtlMs ?? DEFAULT_SVID_TTL_MS;
  }

  /** Issues the control plane's own SVID and writes the bundle file; hooks come with attach(). */
  static async start(opts: LiveAuthorityOptions): Promise<LiveAuthority> {
    const live = new LiveAuthority(opts);
    await live.issueOwn();
    await live.writeBundleFile();
    return live;
  }

  /** Connect to the discovery server (which needs ownCredentials() to exist first). */
  attach(hooks: Hooks): void {
    this.hooks = hooks;
    this.schedulePrune();
  }

  /** What issuance uses now: during phase 1 of a rotation, the old signer with the new bundle. */
  authority(): CertificateAuthority {
    return { trustDomain: this.opts.ca.trustDomain, source: this.opts.ca.source, signer: this.signer, trustBundle: this.bundle };
  }

  trustBundlePem(now: Date = new Date()): string {
    return this.bundle.toPem(now);
  }

  ownCredentials(): OwnCredentials {
    const { certChainPem, keyPem, trustBundlePem } = this.own;
    return { certChainPem, keyPem, trustBundlePem };
  }

  /** Fingerprint of the root new certificates chain to (recorded per issued certificate). */
  signingRootFingerprint(): string {
    return fingerprintOf(this.signer.root.rawData);
  }

  status(now: Date = new Date()): CaStatus {
    const roots = this.bundle.roots
      .filter((r) => this.bundle.trusted(now).includes(r.cert))
      .map((r): RootStatus => {
        const facts = factsOf(new X509Certificate(Buffer.from(r.cert.rawData)));
        return r.trustedUntil === undefined ? { ...facts, state: 'active' } : { ...facts, state: 'retired', trustedUntil: r.trustedUntil.toISOString() };
      });
    const ends = this.bundle.roots.flatMap((r) => (r.trustedUntil !== undefined && r.trustedUntil > now ? [r.trustedUntil.getTime()] : []));
    return {
      trustDomain: this.opts.ca.trustDomain,
      source: this.opts.ca.source,
      signingRoot: this.signingRootFingerprint(),
      roots,
      ...(ends.length > 0 ? { overlapEndsAt: new Date(Math.max(...ends)).toISOString() } : {}),
      svidTtlSeconds: Math.round(this.svidTtlMs / 1000),
      trustBundleFile: trustBundleFile(this.opts.stateDir),
    };
  }

  /** Rotate the self-signed root; resolves once issuance uses the new one. */
  async rotate(overlapMs: number = DEFAULT_OVERLAP_MS): Promise<RotationResult> {
    if (this.opts.ca.source !== 'self-signed') {
      throw new CaOperationError(409, 'MAILLE_ERR_PLUGIN_CA', 'a plug-in CA is rotated by replacing its files (--ca-cert, --ca-key, --ca-chain), not by maille');
    }
    if (!Number.isFinite(overlapMs) || overlapMs < this.svidTtlMs) {
      throw new CaOperationError(
        400,
        'MAILLE_ERR_BAD_REQUEST',
        `overlap ${formatMs(overlapMs)} is shorter than the workload certificate lifetime (${formatMs(this.svidTtlMs)}): certificates issued just before the rotation would stop verifying before they expire; give at least ${formatMs(this.svidTtlMs)}`,
      );
    }
    if (this.rotating) throw new CaOperationError(409, 'MAILLE_ERR_ROTATION_IN_PROGRESS', 'a root rotation is already in progress; wait for it to finish');
    this.rotating = true;
    try {
      const now = new Date();
      const previous = this.signer.root;
      const next = await rotateRoot(this.authority(), this.opts.stateDir, { overlapMs, now });
      // Phase 1: trust both; the old root keeps signing until the proxies have the new bundle.
      this.bundle = next.trustBundle;
      await this.writeBundleFile();
      this.emitCredentials();
      this.opts.log.info('root rotation: new root written, pushing the trust bundle', { newRoot: fingerprintOf(next.signer.root.rawData) });
      // Whatever happens to the push, phase 2 follows: the state directory already names the new root.
      const propagation = await this.propagate().catch((err: unknown): Propagation => {
        this.opts.log.error('root rotation: pushing the trust bundle failed', { error: (err as Error).message });
        return { proxies: 0, acknowledged: 0, pending: [] };
      });
      if (propagation.pending.length > 0) {
        this.opts.log.warn('root rotation: proxies that had not acknowledged the new trust bundle in time', { pending: propagation.pending.join(',') });
      }
      // Phase 2: sign with the new root, the control plane's own SVID included.
      this.signer = next.signer;
      await this.issueOwn();
      this.emitCredentials();
      this.schedulePrune();
      const overlapEndsAt = new Date(now.getTime() + overlapMs).toISOString();
      this.opts.log.info('root rotation: issuing from the new root', { overlapEndsAt });
      return { previousRoot: factsOf(new X509Certificate(Buffer.from(previous.rawData))), newRoot: factsOf(new X509Certificate(Buffer.from(next.signer.root.rawData))), overlapEndsAt, propagation };
    } finally {
      this.rotating = false;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.pruneTimer);
    clearTimeout(this.renewTimer);
  }

  // -------------------------------------------------------------------------------------------

  private async propagate(): Promise<Propagation> {
    return this.hooks === undefined ? { proxies: 0, acknowledged: 0, pending: [] } : this.hooks.propagate();
  }

  private emitCredentials(): void {
    this.own.trustBundlePem = this.trustBundlePem();
    this.hooks?.onCredentials(this.ownCredentials());
  }

  /** The control plane's own SVID from the current signer, renewed at half-life like any workload's. */
  private async issueOwn(): Promise<void> {
    const { csrPem, privateKeyPem } = await createWorkloadKeyAndCsr();
    const svid = await signWorkloadCsr(this.authority(), csrPem, this.opts.ownIdentity);
    this.own = { certChainPem: svid.certificateChainPem, keyPem: privateKeyPem, trustBundlePem: svid.trustBundlePem, renewAt: svid.renewAt };
    clearTimeout(this.renewTimer);
    if (this.closed) return;
    this.renewTimer = setTimeout(
      () => {
        this.issueOwn()
          .then(() => this.emitCredentials())
          .catch((err: unknown) => this.opts.log.error('cannot renew the control plane certificate', { error: (err as Error).message }));
      },
      Math.min(MAX_TIMER_MS, Math.max(1000, svid.renewAt.getTime() - Date.now())),
    );
    this.renewTimer.unref();
  }

  /** At the next moment the bundle shrinks by itself (an overlap ending), drop what it no longer trusts. */
  private schedulePrune(): void {
    clearTimeout(this.pruneTimer);
    const next = this.bundle.nextChange(new Date());
    if (next === undefined || this.closed) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next.getTime() - Date.now()) + 10);
    this.pruneTimer = setTimeout(() => void this.prune(), delay);
    this.pruneTimer.unref();
  }

  private async prune(): Promise<void> {
    const now = new Date();
    const before = this.bundle;
    const after = before.prune(now);
    if (after.roots.length !== before.roots.length) {
      // The listener stops accepting the old root at once; the files follow.
      this.bundle = after;
      this.emitCredentials();
      try {
        if (this.opts.ca.source === 'self-signed') await pruneRetiredRoots(this.opts.stateDir, before, now);
        await this.writeBundleFile();
      } catch (err) {
        this.opts.log.error('cannot update the CA state after an overlap ended', { error: (err as Error).message });
      }
      this.opts.log.info('root overlap ended: the retired root is no longer trusted', { roots: after.roots.length });
      void this.propagate().catch((err: unknown) => this.opts.log.error('cannot push the trust bundle', { error: (err as Error).message }));
    }
    this.schedulePrune();
  }

  private async writeBundleFile(): Promise<void> {
    await writeFileAtomic(trustBundleFile(this.opts.stateDir), this.trustBundlePem());
  }
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
