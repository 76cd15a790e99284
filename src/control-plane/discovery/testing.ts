// Test support for the discovery server and the proxy's client: a real CA in a temporary state
// directory, a provider whose snapshots tests set by hand, and a server wired to both.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Snapshot } from '../../model/snapshot.js';
import { connectControlPlane, type ControlPlaneClient, type ControlPlaneClientOptions } from '../../proxy/config/control-plane-client/client.js';
import { openCertificateAuthority } from '../ca/authority.js';
import { createWorkloadKeyAndCsr } from '../ca/csr.js';
import { signWorkloadCsr } from '../ca/issue.js';
import { formatWorkloadId } from '../ca/spiffe.js';
import type { CertificateAuthority } from '../ca/types.js';
import { CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICE_ACCOUNT, type NodeInfo } from './protocol.js';
import { startDiscoveryServer } from './server.js';
import type { AffectedNodes, CsrSigner, DiscoveryLog, DiscoveryServer, DiscoveryServerOptions, Identity, SnapshotProvider } from './types.js';

export const TRUST_DOMAIN = 'cluster.local';
export const CONTROL_PLANE: Identity = { trustDomain: TRUST_DOMAIN, namespace: CONTROL_PLANE_NAMESPACE, serviceAccount: CONTROL_PLANE_SERVICE_ACCOUNT };
export const WEB: Identity = { trustDomain: TRUST_DOMAIN, namespace: 'default', serviceAccount: 'web' };
export const API: Identity = { trustDomain: TRUST_DOMAIN, namespace: 'default', serviceAccount: 'api' };
/** Bootstrap tokens as the launcher would issue them: one per workload identity. */
export const TOKENS: Readonly<Record<string, Identity>> = { 'token-web': WEB, 'token-api': API };

export const quietLog: DiscoveryLog = { debug() {}, info() {}, warn() {}, error() {} };

export interface KeyPair {
  certChainPem: string;
  privateKeyPem: string;
}

export interface TestPki {
  ca: CertificateAuthority;
  trustBundlePem: string;
  /** The CA behind the server's Sign call; workload certificates live `ttlMs`. */
  signer: CsrSigner;
  /** A certificate for `identity` straight from the CA (what a test needs to play a proxy or the control plane). */
  issue(identity: Identity, ttlMs?: number): Promise<KeyPair>;
  close(): Promise<void>;
}

export async function createTestPki(ttlMs?: number): Promise<TestPki> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'maille-discovery-'));
  const ca = await openCertificateAuthority({ stateDir, trustDomain: TRUST_DOMAIN });
  const issue = async (identity: Identity, ttl?: number): Promise<KeyPair> => {
    const { csrPem, privateKeyPem } = await createWorkloadKeyAndCsr({ spiffeId: formatWorkloadId(identity) });
    const svid = await signWorkloadCsr(ca, csrPem, identity, ttl);
    return { certChainPem: svid.certificateChainPem, privateKeyPem };
  };
  return {
    ca,
    trustBundlePem: ca.trustBundle.toPem(),
    signer: {
      async sign(csrPem, identity) {
        const svid = await signWorkloadCsr(ca, csrPem, identity, ttlMs);
        return { certChainPem: svid.certificateChainPem, trustBundlePem: svid.trustBundlePem };
      },
    },
    issue,
    close: () => rm(stateDir, { recursive: true, force: true }),
  };
}

export function snapshot(version: string): Snapshot {
  return { version, listeners: [] };
}

/** Snapshots set by hand per node id; counts how often each was computed. */
export class TestProvider implements SnapshotProvider {
  readonly snapshots = new Map<string, unknown>();
  readonly computed = new Map<string, number>();
  private listeners: ((nodes: AffectedNodes) => void)[] = [];

  snapshotFor(node: NodeInfo): Snapshot {
    this.computed.set(node.id, (this.computed.get(node.id) ?? 0) + 1);
    // unknown, so a test can hand out an invalid snapshot the way a buggy translate would
    return (this.snapshots.get(node.id) ?? snapshot(`initial-${node.id}`)) as Snapshot;
  }

  onChange(cb: (nodes: AffectedNodes) => void): () => void {
    this.listeners.push(cb);
    return () => (this.listeners = this.listeners.filter((l) => l !== cb));
  }

  /** Set a node's snapshot and announce the change for that node only. */
  set(nodeId: string, value: unknown): void {
    this.snapshots.set(nodeId, value);
    for (const cb of this.listeners) cb(new Set([nodeId]));
  }
}

export function nodeInfo(id: string, identity: Identity = WEB): NodeInfo {
  return {
    id,
    namespace: identity.namespace,
    serviceAccount: identity.serviceAccount,
    labels: { app: identity.serviceAccount, version: 'v1' },
    service: { name: identity.serviceAccount, ports: [{ port: 9080, targetPort: 20000, protocol: 'http' }] },
    addresses: ['127.0.0.1'],
    proxyVersion: 'test',
  };
}

export interface TestServer {
  server: DiscoveryServer;
  provider: TestProvider;
  connected: string[];
  disconnected: string[];
}

export async function startTestServer(pki: TestPki, options: Partial<DiscoveryServerOptions> = {}): Promise<TestServer> {
  const cp = await issue(pki);
  const provider = options.provider instanceof TestProvider ? options.provider : new TestProvider();
  const connected: string[] = [];
  const disconnected: string[] = [];
  const server = await startDiscoveryServer({
    port: 0,
    certChainPem: cp.certChainPem,
    keyPem: cp.privateKeyPem,
    trustBundlePem: pki.trustBundlePem,
    trustDomain: TRUST_DOMAIN,
    authenticate: (token) => TOKENS[token],
    signer: pki.signer,
    provider,
    onProxyConnected: (node) => connected.push(node.id),
    onProxyDisconnected: (node) => disconnected.push(node.id),
    log: quietLog,
    ...options,
  });
  return { server, provider, connected, disconnected };
}

/**
 * The proxy's real client against a test server on `port` (token-web unless `extra` says), and
 * every snapshot it applied, in order.
 */
export function startTestClient(
  port: number,
  pki: TestPki,
  node: NodeInfo,
  extra: Partial<ControlPlaneClientOptions> = {},
): { client: ControlPlaneClient; applied: Snapshot[] } {
  const applied: Snapshot[] = [];
  const client = connectControlPlane({
    address: '127.0.0.1',
    port,
    trustBundlePem: pki.trustBundlePem,
    bootstrapToken: 'token-web',
    node,
    onSnapshot: (s) => void applied.push(s),
    log: quietLog,
    ...extra,
  });
  return { client, applied };
}

// One control-plane SVID per CA: a server restarted in a test reuses it, as a real restart would.
const controlPlaneCerts = new WeakMap<TestPki, Promise<KeyPair>>();
function issue(pki: TestPki): Promise<KeyPair> {
  let cert = controlPlaneCerts.get(pki);
  if (cert === undefined) controlPlaneCerts.set(pki, (cert = pki.issue(CONTROL_PLANE)));
  return cert;
}

/** Poll until `predicate` holds; fail with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
