// The proxy's link to the control plane: get an SVID (bootstrap token first, then the certificate
// itself), hold one discovery stream over mTLS, apply each snapshot or say why not, and survive the
// control plane going away.
//
//   start ─► certificate? ──no──► Sign (token) ─┐
//              │ yes                            │
//              ▼                                ▼
//           stream (mTLS, hello) ◄──────────────┘ ◄── backoff ◄── lost / refused
//              │  snapshot ─► validate ─► onSnapshot ─► ack | nack
//              └─ at half-life: Sign (mTLS) ─► new stream ─► old stream closed (make before break)
//
// The last good snapshot stays in force through all of it: the proxy keeps serving while the
// control plane is down, and a resync that brings the same snapshot changes nothing.
import { X509Certificate } from 'node:crypto';
import type { Snapshot } from '../../../model/snapshot.js';
import { DEFAULT_TRUST_DOMAIN, formatWorkloadId } from '../../../control-plane/ca/spiffe.js';
import { keepAlive } from '../../../control-plane/discovery/keepalive.js';
import {
  MAX_NACK_ERROR_CHARS,
  controlPlaneSpiffeId,
  type ControlPlaneMessage,
  type NodeInfo,
  type ProxyMessage,
  type SignResponse,
  type SnapshotMessage,
} from '../../../control-plane/discovery/protocol.js';
import { applyDelta } from '../../../control-plane/discovery/apply-delta.js';
import { validateSnapshot } from '../validate.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { acceptIssued, isUsable, renewDelayMs, type CreateKeyAndCsr, type WorkloadCertificate } from './certificate.js';
import { createKeyAndCsr } from './csr.js';
import { isUnauthenticated } from './errors.js';
import { closeSession, connectSession } from './session.js';
import { callSign } from './sign-call.js';
import { Link, openStream } from './stream-call.js';

export type { WorkloadCertificate } from './certificate.js';
export { ControlPlaneError } from './errors.js';

export interface ClientLog {
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface ControlPlaneClientOptions {
  address: string;
  port: number;
  /** Roots to verify the control plane with; replaced by the bundle each Sign returns (root rotation). */
  trustBundlePem: string;
  /** Needed only to get the first certificate (or one after the last has expired). */
  bootstrapToken?: string;
  node: NodeInfo;
  /** Apply a validated snapshot. Throwing (or rejecting) NACKs it with the error's message. */
  onSnapshot(s: Snapshot): Promise<void> | void;
  /** A new SVID is in use (first one, renewals): the data plane's mTLS takes it from here. */
  onCertificate?(cert: WorkloadCertificate): void;
  log: ClientLog;
  /** Default cluster.local. */
  trustDomain?: string;
  /** The control plane's SPIFFE ID. Default spiffe://<trustDomain>/ns/istio-system/sa/maille-control-plane. */
  controlPlaneId?: string;
  /** Reconnect backoff; defaults 100 ms doubling to 5 s, jittered. */
  backoff?: BackoffOptions;
  /** Ping the control plane this often; no answer within 5 s drops the connection. Default 15 s. */
  keepaliveMs?: number;
  /** Budget for connecting and for each call's answer. Default 10 s. */
  timeoutMs?: number;
  /** Key + CSR maker; default the CA module's (ECDSA P-256). */
  createKeyAndCsr?: CreateKeyAndCsr;
}

export interface ControlPlaneClientStatus {
  connected: boolean;
  /** Stream version of the snapshot in force. */
  appliedVersion?: number;
  /** Why the last attempt or stream failed; cleared once connected. */
  lastError?: string;
}

export interface ControlPlaneClient {
  /** The first snapshot applied; rejects only if the client is closed before one arrives. */
  readonly firstSnapshot: Promise<Snapshot>;
  currentSnapshot(): Snapshot | undefined;
  currentCertificate(): WorkloadCertificate | undefined;
  status(): ControlPlaneClientStatus;
  /** Close the stream and stop reconnecting and renewing. The snapshot in force stays in force. */
  close(): Promise<void>;
}

export function connectControlPlane(opts: ControlPlaneClientOptions): ControlPlaneClient {
  const client = new Client(opts);
  client.start();
  return client;
}

class Client implements ControlPlaneClient {
  readonly firstSnapshot: Promise<Snapshot>;
  private resolveFirst!: (s: Snapshot) => void;
  private rejectFirst!: (err: Error) => void;

  private readonly trustDomain: string;
  private readonly controlPlaneId: string;
  private readonly timeoutMs: number;
  private trustBundlePem: string;
  private cert: WorkloadCertificate | undefined;
  private live: Link | undefined;
  private closed = false;
  private establishing = false;
  private establishAgain = false;
  private attempt = 0;
  private renewAttempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private obtaining: Promise<WorkloadCertificate> | undefined;
  private lastError: string | undefined;
  /** Every link opened and not yet closed, so close() can wait for them. */
  private readonly links = new Set<Link>();
  /** Destroys whatever is still connecting or signing when close() is called. */
  private readonly abort = new AbortController();

  private applied: { snapshot: Snapshot; json: string; version: number } | undefined;
  /** Highest version received on any stream: the next stream's hello.lastVersion. */
  private highestVersion = 0;
  /**
   * The snapshot last received, as received (before validation): the base the control plane's
   * next delta builds on. Not the one applied: deltas follow what was sent.
   */
  private held: { version: number; snapshot: unknown } | undefined;
  /** The newest snapshot message waiting to be applied; older ones waiting are dropped for it. */
  private next: { link: Link; message: SnapshotMessage } | undefined;
  private applying = false;

  constructor(private readonly opts: ControlPlaneClientOptions) {
    this.trustDomain = opts.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    this.controlPlaneId = opts.controlPlaneId ?? controlPlaneSpiffeId(this.trustDomain);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.trustBundlePem = opts.trustBundlePem;
    this.firstSnapshot = new Promise<Snapshot>((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    // Nobody has to listen: a client closed before its first snapshot is not an unhandled error.
    this.firstSnapshot.catch(() => {});
  }

  start(): void {
    void this.establish();
  }

  currentSnapshot(): Snapshot | undefined {
    return this.applied?.snapshot;
  }

  currentCertificate(): WorkloadCertificate | undefined {
    return this.cert;
  }

  status(): ControlPlaneClientStatus {
    const s: ControlPlaneClientStatus = { connected: this.live !== undefined && !this.live.closed };
    if (this.applied !== undefined) s.appliedVersion = this.applied.version;
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.renewTimer);
    this.live = undefined;
    this.rejectFirst(new Error('control plane client closed before the first snapshot'));
    const closing = [...this.links].map((link) => link.close());
    this.links.clear();
    this.abort.abort();
    await Promise.all(closing);
  }

  // -------------------------------------------------------------------------------------------
  // Connecting

  /** Get a stream up (replacing the live one only once the new one is accepted). */
  private async establish(): Promise<void> {
    if (this.closed) return;
    if (this.establishing) {
      // e.g. a renewal finished while a reconnect was under way with the old certificate
      this.establishAgain = true;
      return;
    }
    this.establishing = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    try {
      const cert = await this.ensureCertificate();
      const link = await this.openLink(cert);
      if (this.closed) {
        void link.close();
        return;
      }
      const previous = this.live;
      this.live = link;
      if (previous !== undefined) {
        this.links.delete(previous);
        void previous.close();
      }
      this.attempt = 0;
      if (this.lastError !== undefined) this.opts.log.info('connected to the control plane', { port: this.opts.port });
      this.lastError = undefined;
    } catch (err) {
      this.noteError(err);
      // A stream refused for our certificate (e.g. its root is no longer trusted): start over with the token.
      if (isUnauthenticated(err) && this.opts.bootstrapToken !== undefined) this.cert = undefined;
      this.scheduleRetry();
    } finally {
      this.establishing = false;
      if (this.establishAgain && !this.closed) {
        this.establishAgain = false;
        void this.establish();
      }
    }
  }

  private async openLink(cert: WorkloadCertificate): Promise<Link> {
    const session = await connectSession(this.sessionOptions(cert));
    keepAlive(session, this.opts.keepaliveMs ?? 15_000, 5000);
    const hello = {
      type: 'hello' as const,
      node: this.opts.node,
      lastVersion: this.highestVersion,
      acceptsDelta: true,
      ...(this.held !== undefined ? { heldVersion: this.held.version } : {}),
    };
    const link = await openStream(
      session,
      hello,
      { onMessage: (l, m) => this.onMessage(l, m), onClosed: (l, reason) => this.onLinkClosed(l, reason) },
      this.timeoutMs,
    );
    this.links.add(link);
    return link;
  }

  private onLinkClosed(link: Link, reason: string): void {
    this.links.delete(link);
    if (link !== this.live || this.closed) return; // replaced on purpose, or shutting down
    this.live = undefined;
    if (this.establishing) {
      // Most likely the control plane dropping this stream for the one being set up right now (a
      // renewal's); that one becomes live or schedules its own retry.
      this.opts.log.debug('previous discovery stream closed', { reason });
      return;
    }
    this.noteError(new Error(`lost the control plane: ${reason}`));
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = backoffDelay(this.attempt++, this.opts.backoff);
    this.opts.log.debug('reconnecting to the control plane', { inMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.establish();
    }, delay);
  }

  private noteError(err: unknown): void {
    const message = (err as Error).message;
    // One warning per distinct problem, not one per retry every few seconds.
    if (message !== this.lastError) this.opts.log.warn('control plane', { error: message });
    else this.opts.log.debug('control plane', { error: message });
    this.lastError = message;
  }

  private sessionOptions(cert: WorkloadCertificate | undefined): Parameters<typeof connectSession>[0] {
    return {
      address: this.opts.address,
      port: this.opts.port,
      trustBundlePem: this.trustBundlePem,
      controlPlaneId: this.controlPlaneId,
      trustDomain: this.trustDomain,
      timeoutMs: this.timeoutMs,
      signal: this.abort.signal,
      ...(cert !== undefined ? { certChainPem: cert.certChainPem, privateKeyPem: cert.privateKeyPem } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Certificates

  private async ensureCertificate(): Promise<WorkloadCertificate> {
    return isUsable(this.cert) ? this.cert : this.obtainCertificate();
  }

  /** One request at a time: a renewal and a reconnect needing a certificate share the answer. */
  private obtainCertificate(): Promise<WorkloadCertificate> {
    this.obtaining ??= this.requestCertificate().finally(() => (this.obtaining = undefined));
    return this.obtaining;
  }

  /** Sign a fresh key: with the current certificate while it is valid, else with the bootstrap token. */
  private async requestCertificate(): Promise<WorkloadCertificate> {
    const spiffeId = formatWorkloadId({ trustDomain: this.trustDomain, namespace: this.opts.node.namespace, serviceAccount: this.opts.node.serviceAccount });
    const keyAndCsr = await (this.opts.createKeyAndCsr ?? defaultKeyAndCsr)(spiffeId);
    const current = isUsable(this.cert) ? this.cert : undefined;
    const token = this.opts.bootstrapToken;
    if (current === undefined && token === undefined) throw new Error('no valid certificate and no bootstrap token to obtain one');
    let response;
    try {
      response = await this.sign(keyAndCsr.csrPem, current, current === undefined ? token : undefined);
    } catch (err) {
      if (current === undefined || token === undefined || !isUnauthenticated(err)) throw err;
      response = await this.sign(keyAndCsr.csrPem, undefined, token);
    }
    const cert = acceptIssued(response, keyAndCsr, spiffeId);
    if (this.closed) return cert;
    this.cert = cert;
    this.trustBundlePem = cert.trustBundlePem;
    this.opts.log.info('certificate issued', { spiffeId, serial: cert.serialNumber, notAfter: cert.notAfter.toISOString() });
    this.scheduleRenewal(cert);
    try {
      this.opts.onCertificate?.(cert);
    } catch (err) {
      this.opts.log.error('onCertificate failed', { error: (err as Error).message });
    }
    return cert;
  }

  private async sign(csrPem: string, cert: WorkloadCertificate | undefined, token: string | undefined): Promise<SignResponse> {
    const session = await connectSession(this.sessionOptions(cert));
    try {
      return await callSign(session, csrPem, token, this.timeoutMs, this.opts.node.id);
    } finally {
      void closeSession(session);
    }
  }

  private scheduleRenewal(cert: WorkloadCertificate): void {
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => void this.renew(), renewDelayMs(cert));
  }

  private async renew(): Promise<void> {
    if (this.closed) return;
    try {
      await this.obtainCertificate();
      this.renewAttempt = 0;
    } catch (err) {
      this.noteError(new Error(`certificate renewal failed: ${(err as Error).message}`));
      this.renewTimer = setTimeout(() => void this.renew(), backoffDelay(this.renewAttempt++, this.opts.backoff));
      return;
    }
    // The stream in use was authenticated with the old certificate; move to one made with the new.
    void this.establish();
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots

  private onMessage(link: Link, received: ControlPlaneMessage): void {
    this.highestVersion = Math.max(this.highestVersion, received.version);
    let message: SnapshotMessage;
    if (received.type === 'delta') {
      // By version, whichever stream brought it: versions are never reused for one proxy, and a
      // new stream may start with a delta on what the one it replaces sent (hello.heldVersion).
      const held = this.held;
      if (held?.version !== received.baseVersion) {
        const holds = held === undefined ? 'no snapshot' : `version ${held.version}`;
        link.send(this.nack(received.version, new Error(`delta on version ${received.baseVersion}, but this proxy holds ${holds}`)));
        return;
      }
      try {
        message = { type: 'snapshot', version: received.version, snapshot: applyDelta(held.snapshot, received.delta) };
      } catch (err) {
        link.send(this.nack(received.version, err));
        return;
      }
    } else {
      message = received;
    }
    this.held = { version: message.version, snapshot: message.snapshot };
    this.next = { link, message };
    if (!this.applying) void this.applyQueued();
  }

  private async applyQueued(): Promise<void> {
    this.applying = true;
    try {
      while (this.next !== undefined && !this.closed) {
        const { link, message } = this.next;
        this.next = undefined;
        link.send(await this.apply(message));
      }
    } finally {
      this.applying = false;
    }
  }

  private async apply(message: SnapshotMessage): Promise<ProxyMessage> {
    const { version } = message;
    let snapshot: Snapshot;
    try {
      snapshot = validateSnapshot(message.snapshot, 'control plane');
    } catch (err) {
      return this.nack(version, err);
    }
    try {
      this.adoptTrustBundle(snapshot.trustBundlePem);
    } catch (err) {
      return this.nack(version, err);
    }
    const json = JSON.stringify(snapshot);
    if (this.applied?.json === json) {
      // A resync after a reconnect: the same configuration is already serving.
      this.applied.version = version;
      return { type: 'ack', version };
    }
    try {
      await this.opts.onSnapshot(snapshot);
    } catch (err) {
      return this.nack(version, err);
    }
    this.applied = { snapshot, json, version };
    this.opts.log.info('snapshot applied', { version, snapshotVersion: snapshot.version });
    this.resolveFirst(snapshot);
    return { type: 'ack', version };
  }

  /**
   * A trust bundle pushed with a snapshot (root rotation: both roots, then only the new one) takes
   * effect before the snapshot is acknowledged: for the control-plane connection and for mesh mTLS.
   */
  private adoptTrustBundle(pem: string | undefined): void {
    if (pem === undefined || pem === this.trustBundlePem) return;
    const roots = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (roots.length === 0) throw new Error('trustBundlePem: holds no PEM certificate');
    for (const [i, block] of roots.entries()) {
      try {
        new X509Certificate(block);
      } catch (err) {
        throw new Error(`trustBundlePem: certificate ${i + 1}: ${(err as Error).message}`, { cause: err });
      }
    }
    this.trustBundlePem = pem;
    this.opts.log.info('trust bundle updated', { roots: roots.length });
    if (this.cert === undefined) return;
    this.cert = { ...this.cert, trustBundlePem: pem };
    try {
      this.opts.onCertificate?.(this.cert);
    } catch (err) {
      this.opts.log.error('onCertificate failed', { error: (err as Error).message });
    }
  }

  private nack(version: number, err: unknown): ProxyMessage {
    const error = (err instanceof Error ? err.message : String(err)).slice(0, MAX_NACK_ERROR_CHARS);
    this.opts.log.warn('snapshot refused; the previous one keeps serving', { version, error });
    return { type: 'nack', version, error };
  }
}

// node:crypto only (csr.ts): @peculiar/x509 never loads in a sidecar.
const defaultKeyAndCsr: CreateKeyAndCsr = (spiffeId) => Promise.resolve(createKeyAndCsr(spiffeId));
