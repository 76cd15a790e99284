// What every step of a translation shares: the input, the indexes built from it once, the
// clusters asked for so far and the warnings. One Context per translate() call; nothing outlives it.
import type { RegistrySnapshot } from '../registry/types.js';
import { buildCatalog, type Catalog } from './catalog.js';
import { ClusterSet } from './clusters.js';
import { DestinationRules } from './destination-rules.js';
import { MeshTls } from './mesh-tls.js';
import { PeerAuthentications } from './peer-authentication.js';
import { indexResources, type ResourceIndex } from './resources.js';
import type { GatewayCredential, MeshSettings, ProxyNode, TranslateInput } from './types.js';
import { Warnings } from './warnings.js';

export interface Context {
  readonly proxy: ProxyNode;
  readonly mesh: MeshSettings;
  readonly registry: RegistrySnapshot;
  readonly credentials: Readonly<Record<string, GatewayCredential>>;
  readonly warnings: Warnings;
  readonly index: ResourceIndex;
  /** Services visible to the proxy (registry + exported ServiceEntries). */
  readonly catalog: Catalog;
  readonly rules: DestinationRules;
  /** The mTLS mode each workload accepts (the proxy's own inbound side, and its destinations). */
  readonly peers: PeerAuthentications;
  readonly clusters: ClusterSet;
}

export function createContext(input: TranslateInput): Context {
  const warnings = new Warnings();
  const index = indexResources(input.resources);
  const rules = new DestinationRules(index.destinationRules, input.proxy, input.mesh.rootNamespace, warnings);
  const peers = new PeerAuthentications(index.peerAuthentications, input.mesh.rootNamespace);
  const meshTls = new MeshTls(input.registry, peers, input.mesh.trustDomain, warnings);
  return {
    proxy: input.proxy,
    mesh: input.mesh,
    registry: input.registry,
    credentials: input.credentials ?? {},
    warnings,
    index,
    catalog: buildCatalog(input.registry, index.serviceEntries, input.proxy.namespace, warnings),
    rules,
    peers,
    clusters: new ClusterSet(input.registry, rules, meshTls, warnings),
  };
}
