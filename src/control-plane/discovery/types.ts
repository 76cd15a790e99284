// What the discovery server is given (small interfaces, so the registry, translate and the CA plug
// in without discovery knowing them) and what it reports.
import type { Snapshot } from '../../model/snapshot.js';
import type { WorkloadIdentity } from '../ca/types.js';
import type { SnapshotLayout } from './layout.js';
import type { NodeInfo } from './protocol.js';

/** An authenticated workload: spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>. */
export type Identity = WorkloadIdentity;

/** Which proxies a change affects: their node ids, or every proxy. */
export type AffectedNodes = ReadonlySet<string> | 'all';

/**
 * A snapshot already serialized, for providers that share work between proxies: the pieces
 * concatenated are its JSON text, and pieces common to many proxies can be one Buffer for all, so
 * thousands of queued pushes do not hold thousands of copies.
 */
export interface EncodedSnapshot {
  /** Changes whenever the content does (a content hash): an unchanged version is not sent again. */
  readonly contentVersion: string;
  readonly chunks: readonly Uint8Array[];
  /**
   * The same snapshot's named entries (layout.ts), for delta pushes to proxies that accept them.
   * Without it the proxy always gets the whole snapshot.
   */
  readonly layout?: SnapshotLayout;
}

export interface SnapshotProvider {
  /** The snapshot for one proxy, holding only what it needs. Throwing keeps its last one. */
  snapshotFor(node: NodeInfo): Snapshot;
  /** When present, used instead of snapshotFor to push (same content, already serialized). */
  encodedSnapshotFor?(node: NodeInfo): EncodedSnapshot;
  /** Subscribe to changes; may return an unsubscribe function, called when the server closes. */
  onChange(cb: (nodeIds: AffectedNodes) => void): (() => void) | void;
}

export interface SignedCertificate {
  /** Leaf first, then any intermediates: node:tls `cert`. */
  certChainPem: string;
  /** Every root to trust now: node:tls `ca`. */
  trustBundlePem: string;
}

/** Who asks, beyond the identity: lets the signer bind the certificate to one proxy (node). */
export interface SignRequestContext {
  via: 'token' | 'certificate';
  /** The node the request names. */
  nodeId?: string;
  /** The bootstrap token the caller authenticated with (token callers only). */
  bearerToken?: string;
  /** Serial of the client certificate presented (certificate callers only). */
  peerSerial?: string;
}

export interface CsrSigner {
  /**
   * Issue a certificate for `identity` over the CSR's key. Errors with a string `code` starting
   * with MAILLE_ERR_CSR are the caller's fault (400, message passed on), MAILLE_ERR_PERMISSION_DENIED
   * a node the caller may not speak for (403); others are ours (500).
   */
  sign(csrPem: string, identity: Identity, request?: SignRequestContext): Promise<SignedCertificate>;
}

/** Map a bootstrap token to the one identity it was issued for; undefined refuses it. */
export type Authenticate = (token: string) => Identity | undefined | Promise<Identity | undefined>;

export interface DiscoveryLog {
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface DiscoveryServerOptions {
  /** 0 picks a free port (tests). Default DISCOVERY_PORT. */
  port?: number;
  /** Default 127.0.0.1: local mode's control plane is for this machine only. */
  host?: string;
  /** The control plane's own SVID (leaf first) and its key, PEM. */
  certChainPem: string;
  keyPem: string;
  /** Roots that client certificates must chain to. */
  trustBundlePem: string;
  /** Client certificates must name this trust domain. */
  trustDomain: string;
  authenticate: Authenticate;
  signer: CsrSigner;
  provider: SnapshotProvider;
  /** The proxy's stream is up (again, on a reconnect: treat as an upsert). */
  onProxyConnected?(node: NodeInfo, identity: Identity): void;
  /** Its last stream is gone. Not called when a newer stream of the same node replaced it. */
  onProxyDisconnected?(node: NodeInfo): void;
  /** Quiet period after a change before pushing. Default 100 ms. */
  debounceMs?: number;
  /** A stream of changes with no quiet period still pushes after this long. Default 1000 ms. */
  debounceMaxMs?: number;
  /** Ping every session this often; a session that does not answer is closed. Default 30 s. */
  keepaliveMs?: number;
  /** How long a new stream may take to send its hello. Default 10 s. */
  helloTimeoutMs?: number;
  log?: DiscoveryLog;
}

export type SyncState = 'synced' | 'pending' | 'nacked' | 'not-sent';

/** One connected proxy, for `maille proxy-status`. Plain data: it goes out as JSON as is. */
export interface ProxyStatus {
  nodeId: string;
  spiffeId: string;
  node: NodeInfo;
  /** Where the stream comes from (address:port). */
  peer: string;
  /** ISO 8601. */
  connectedSince: string;
  lastSentVersion?: number;
  lastAckedVersion?: number;
  lastNack?: { version: number; error: string; at: string };
  /** synced: the last sent version is ACKed; nacked: it was refused; pending: no answer yet. */
  state: SyncState;
  /**
   * What keeps part of an applied configuration from serving, as the launcher learns it (a gateway
   * listener whose port another process holds), one line each naming the port and what to change.
   */
  problems?: string[];
}

export interface DiscoveryServer {
  readonly port: number;
  status(): ProxyStatus[];
  /** New SVID for the control plane (renewal) or new trust bundle (root rotation); new handshakes use them. */
  updateCredentials(creds: { certChainPem?: string; keyPem?: string; trustBundlePem?: string }): void;
  /** Stop listening and drop every stream at once; proxies keep serving their last snapshot. */
  close(): Promise<void>;
}
