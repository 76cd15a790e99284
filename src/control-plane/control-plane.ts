// The control plane assembled: CA, registry, translate and discovery, reading like the diagram.
//
//   mesh file ─┐
//   API ───────┴─ store ─┐
//   registry ────────────┼─ translate (per proxy) ─ discovery stream ─► proxies (ACK/NACK)
//   CA ──────────────────┘── sign (bootstrap token → SVID)
//
// Local mode runs it in the `maille run` process; workloads register when their proxy connects
// (the launcher tells it in advance which ports each expected proxy got).
import type { Resource } from '../api/kinds.js';
import type { Snapshot } from '../model/snapshot.js';
import { openCertificateAuthority } from './ca/authority.js';
import { BootstrapTokens, newBootstrapToken } from './ca/bootstrap-tokens.js';
import { withTrustBundle } from './ca/bundle-push.js';
import { pushAndAwaitAcks } from './ca/bundle-propagation.js';
import { certificatesOf, factsOf } from './ca/describe.js';
import { IssuedRecords } from './ca/issued-records.js';
import { LiveAuthority } from './ca/live-authority.js';
import type { WorkloadIdentity } from './ca/types.js';
import { createWorkloadSigner } from './ca/workload-signer.js';
import { CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICE_ACCOUNT, type NodeInfo } from './discovery/protocol.js';
import { startDiscoveryServer, type DiscoveryServer } from './discovery/server.js';
import type { AffectedNodes } from './discovery/types.js';
import { withScalar } from './discovery/layout.js';
import { MemoryRegistry, type WorkloadRegistration } from './registry/index.js';
import { startApiServer, type ApiServer, type ProxyConfig } from './sources/api-server.js';
import { ResourceStore } from './sources/store.js';
import { translate, type GatewayCredential, type ProxyNode } from './translate/index.js';
import { SnapshotCache, type EncodedSnapshot } from './translate/cache/snapshot-cache.js';
import { affectedNamespaces } from './translate/cache/affected.js';
import { createLogger } from '../proxy/telemetry/log.js';

const log = createLogger('control-plane');

export interface ControlPlaneOptions {
  stateDir: string;
  trustDomain: string;
  rootNamespace: string;
  /** Discovery/CA port; 0 picks a free one. */
  port: number;
  /** The mesh file's resources; those applied through the API are loaded from stateDir over them. */
  resources: Resource[];
  registry: MemoryRegistry;
  /** Configuration API port (loopback); 0 (default) picks a free one, published in api.json. */
  apiPort?: number;
  /** Lifetime of workload certificates; default 24 h (short ones exercise rotation in tests). */
  svidTtlMs?: number;
  /** Certificates Gateways name by `credentialName` (local mode: the Mesh's spec.credentials). */
  credentials?: Readonly<Record<string, GatewayCredential>>;
}

/** What the launcher tells the control plane about a proxy it is about to start. */
export interface ExpectedProxy {
  node: ProxyNode;
  identity: WorkloadIdentity;
  /** Registered in the registry when the proxy connects; absent for gateways. */
  workload?: WorkloadRegistration;
}

export interface ControlPlane {
  readonly port: number;
  readonly trustDomain: string;
  readonly store: ResourceStore;
  /** Where `maille apply/get/delete` reach it (also in <stateDir>/api.json). */
  readonly apiUrl: string;
  trustBundlePem(): string;
  /**
   * Registers an expected proxy and returns its bootstrap token: `token` when the launcher gives
   * one (e.g. the one it kept from an earlier run, beside the proxy), else a new one. The token
   * is kept (hashed) in the state directory, so it still works after a control-plane restart;
   * the node's previous token no longer does.
   */
  expect(proxy: ExpectedProxy, nodeId: string, token?: string): string;
  status(): ReturnType<DiscoveryServer['status']>;
  /**
   * What keeps a proxy's applied configuration from fully serving (e.g. a gateway port another
   * process holds), one line each; shown by `maille proxy-status`. An empty list clears it.
   */
  reportProblems(nodeId: string, problems: readonly string[]): void;
  /** What `maille proxy-config` shows: the proxy's last snapshot (no private keys) and its certificate. */
  proxyConfig(nodeId: string): ProxyConfig | undefined;
  close(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  // The store first: a state file that no longer loads stops the start before anything listens.
  const store = await ResourceStore.open({ stateDir: opts.stateDir, fileResources: opts.resources });
  // The CA as it runs: root rotation, overlap end, the control plane's own SVID (ca/live-authority.ts).
  const live = await LiveAuthority.start({
    ca: await openCertificateAuthority({ stateDir: opts.stateDir, trustDomain: opts.trustDomain }),
    stateDir: opts.stateDir,
    ownIdentity: { trustDomain: opts.trustDomain, namespace: CONTROL_PLANE_NAMESPACE, serviceAccount: CONTROL_PLANE_SERVICE_ACCOUNT },
    ...(opts.svidTtlMs !== undefined ? { svidTtlMs: opts.svidTtlMs } : {}),
    log,
  });
  const own = live.ownCredentials();

  const expected = new Map<string, ExpectedProxy>(); // by node id
  // Verified against what earlier runs registered too: a proxy whose certificate expired while the
  // control plane was away (or that restarted) bootstraps again before the launcher re-registers it.
  const tokens = await BootstrapTokens.open(opts.stateDir, log);
  // The snapshot last computed per node id, and the certificate issued to each node.
  // (Kept as the encoded form: `.snapshot` parses it when `maille proxy-config` asks.)
  const lastSnapshots = new Map<string, { readonly snapshot: Snapshot }>();
  const issued = new IssuedRecords();
  const problems = new Map<string, string[]>(); // by node id, from the launcher
  const statusWithProblems = (): ReturnType<DiscoveryServer['status']> =>
    server.status().map((p) => {
      const list = problems.get(p.nodeId);
      return list === undefined ? p : { ...p, problems: list };
    });
  const changeListeners: ((nodes: AffectedNodes) => void)[] = [];
  opts.registry.onChange(() => changeListeners.forEach((cb) => cb('all')));
  // A resource exported to some namespaces only concerns the proxies there; any other may matter
  // to any proxy (a mesh-wide policy, a VirtualService of a host seen everywhere). See
  // translate/cache/affected.ts.
  let resourcesBefore = store.resources();
  store.onChange(() => {
    const after = store.resources();
    const scope = affectedNamespaces(resourcesBefore, after);
    resourcesBefore = after;
    const nodes = scope === 'all' ? 'all' : new Set([...expected].filter(([, p]) => scope.has(p.node.namespace)).map(([id]) => id));
    changeListeners.forEach((cb) => cb(nodes));
  });

  // translate, with the work shared between proxies (translate/cache/snapshot-cache.ts).
  const snapshots = new SnapshotCache({ trustDomain: opts.trustDomain, rootNamespace: opts.rootNamespace });
  const snapshotOf = (node: NodeInfo): ReturnType<typeof withTrustBundle> & Pick<EncodedSnapshot, 'layout'> => {
    const proxy = expected.get(node.id);
    if (!proxy) throw new Error(`unknown proxy ${node.id}: not started by this control plane`);
    const result: EncodedSnapshot = snapshots.snapshot({ resources: store.resources(), registry: opts.registry.list(), proxy: proxy.node, credentials: opts.credentials });
    for (const w of result.warnings) log.warn(w, { proxy: node.id });
    // The mesh's trust bundle rides along: a root rotation reaches proxies like configuration does.
    const pem = live.trustBundlePem();
    const withBundle = withTrustBundle(result, pem);
    lastSnapshots.set(node.id, withBundle);
    // Its entries, bundle included, for delta pushes (discovery/delta.ts).
    return Object.assign(withBundle, { layout: withScalar(result.layout, 'trustBundlePem', pem) });
  };

  const server = await startDiscoveryServer({
    port: opts.port,
    host: '127.0.0.1',
    certChainPem: own.certChainPem,
    keyPem: own.keyPem,
    trustBundlePem: own.trustBundlePem,
    trustDomain: opts.trustDomain,
    authenticate: (token: string) => tokens.verify(token)?.identity,
    signer: createWorkloadSigner({
      live,
      records: issued,
      nodeOfToken: (token) => tokens.verify(token)?.nodeId,
      identityOfNode: (nodeId) => expected.get(nodeId)?.identity,
    }),
    provider: {
      snapshotFor: (node: NodeInfo) => snapshotOf(node).snapshot,
      encodedSnapshotFor(node: NodeInfo) {
        const { contentVersion, chunks, layout } = snapshotOf(node);
        return { contentVersion, chunks, layout };
      },
      onChange(cb: (nodes: AffectedNodes) => void) {
        changeListeners.push(cb);
      },
    },
    onProxyConnected(node: NodeInfo) {
      const w = expected.get(node.id)?.workload;
      if (w) opts.registry.registerWorkload(w);
    },
    onProxyDisconnected() {
      // Local mode keeps the endpoint until the launcher says the workload is gone: a proxy
      // reconnecting (control plane restart) must not empty the clusters of its callers.
    },
    log,
  });
  live.attach({
    propagate: () => pushAndAwaitAcks(() => server.status(), () => changeListeners.forEach((cb) => cb('all'))),
    onCredentials: (creds) => server.updateCredentials(creds),
  });

  const proxyConfig = (nodeId: string): ProxyConfig | undefined => {
    const proxy = expected.get(nodeId);
    if (!proxy) return undefined;
    let snapshot = lastSnapshots.get(nodeId)?.snapshot;
    if (snapshot === undefined) {
      // Not connected yet: what it would get now.
      snapshot = translate({
        resources: store.resources(),
        registry: opts.registry.list(),
        mesh: { trustDomain: opts.trustDomain, rootNamespace: opts.rootNamespace },
        proxy: proxy.node,
        credentials: opts.credentials,
      }).snapshot;
    }
    const { trustDomain, namespace, serviceAccount } = proxy.identity;
    const spiffeId = `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
    const record = issued.get(nodeId);
    const roots = certificatesOf(snapshot.trustBundlePem ?? live.trustBundlePem()).map(factsOf);
    const acknowledged = snapshot.trustBundlePem !== undefined && server.status().some((p) => p.nodeId === nodeId && p.state === 'synced');
    return {
      nodeId,
      spiffeId,
      snapshot: withoutPrivateKeys(snapshot),
      ...(record ? { certificate: record } : {}),
      trustBundle: { roots: roots.length, certificates: roots, acknowledged },
    };
  };

  let api: ApiServer;
  try {
    api = await startApiServer({
      store,
      proxies: statusWithProblems,
      proxyConfig,
      ca: { status: () => live.status(), rotate: (overlapMs) => live.rotate(overlapMs) },
      stateDir: opts.stateDir,
      port: opts.apiPort ?? 0,
    });
  } catch (err) {
    live.close();
    await server.close();
    throw err;
  }
  log.info('configuration API listening', { url: api.url });

  return {
    port: server.port,
    trustDomain: opts.trustDomain,
    store,
    apiUrl: api.url,
    trustBundlePem: () => live.trustBundlePem(),
    expect(proxy, nodeId, given) {
      const token = given ?? newBootstrapToken();
      tokens.register(nodeId, proxy.identity, token);
      expected.set(nodeId, proxy);
      // A proxy may already be connected (it reconnected before a restarted launcher registered it
      // again): give it its snapshot now instead of waiting for the next change.
      changeListeners.forEach((cb) => cb(new Set([nodeId])));
      return token;
    },
    status: statusWithProblems,
    reportProblems(nodeId, list) {
      if (list.length === 0) problems.delete(nodeId);
      else problems.set(nodeId, [...list]);
    },
    proxyConfig,
    async close() {
      live.close();
      await api.close();
      await server.close();
      await tokens.flush().catch(() => {}); // a failed write was logged; nothing more to do here
    },
  };
}

/** A snapshot fit to leave the process: gateway listeners' private keys are dropped. */
function withoutPrivateKeys(snapshot: Snapshot): Snapshot {
  return {
    ...snapshot,
    listeners: snapshot.listeners.map((l) => {
      if (l.tls === undefined) return l;
      // eslint-disable-next-line @typescript-eslint/no-unused-vars
      const { privateKeyPem, sni, ...tls } = l.tls;
      const sniWithoutKeys = sni?.map(({ privateKeyPem: _key, ...c }) => c);
      return { ...l, tls: { ...tls, ...(sniWithoutKeys ? { sni: sniWithoutKeys } : {}) } };
    }),
  };
}
