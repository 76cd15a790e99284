// Where a local gateway will listen, known before anything starts: translate (pure) is asked for
// the gateway's listeners, and each is traced back to the Gateway servers it comes from, for the
// port check's messages and the URLs `maille run` prints.
import type { Gateway } from '../api/istio-gateway.js';
import type { Resource } from '../api/kinds.js';
import { translate, type GatewayCredential, type MeshSettings } from '../control-plane/translate/index.js';
import { selects } from '../control-plane/translate/visibility.js';
import { gatewayNode, type LocalGateway } from './gateways.js';

export interface GatewayListener {
  readonly address: string;
  readonly port: number;
  readonly tls: boolean;
  /** The Gateway servers it serves, as `Gateway ns/name spec.servers[i] (port 80)`. */
  readonly servers: readonly string[];
  /** The ports the Gateways declare for it (differs from `port` when mapped). */
  readonly gatewayPorts: readonly number[];
  readonly hosts: readonly string[];
}

export interface PlanInput {
  readonly resources: readonly Resource[];
  readonly mesh: MeshSettings;
  readonly credentials: Readonly<Record<string, GatewayCredential>>;
}

export function gatewayListeners(gw: LocalGateway, input: PlanInput): GatewayListener[] {
  const { snapshot } = translate({
    resources: input.resources,
    registry: { services: [], workloads: [] },
    mesh: input.mesh,
    proxy: gatewayNode(gw),
    credentials: input.credentials,
  });
  const gateways = input.resources.filter((r): r is Gateway => r.kind === 'Gateway' && selects(r.spec.selector, gw.labels));
  return snapshot.listeners.map((l) => {
    const address = l.address ?? '127.0.0.1';
    const servers: string[] = [];
    const gatewayPorts = new Set<number>();
    const hosts = new Set<string>();
    for (const g of gateways) {
      g.spec.servers.forEach((s, i) => {
        const port = gw.targetPorts[s.port.number] ?? s.port.number;
        if (port !== l.port || (s.bind ?? gw.address) !== address) return;
        servers.push(`Gateway ${g.metadata.namespace}/${g.metadata.name} spec.servers[${i}]`);
        gatewayPorts.add(s.port.number);
        s.hosts.forEach((h) => hosts.add(h));
      });
    }
    // Terminated, passed through or mesh mTLS: clients speak TLS to it either way.
    const tls = l.tls !== undefined || l.sniRoutes !== undefined || l.mtls !== undefined;
    return { address, port: l.port, tls, servers, gatewayPorts: [...gatewayPorts], hosts: [...hosts] };
  });
}

/** The URL a person on this machine uses: a wildcard bind is reached on loopback. */
export function listenerUrl(l: GatewayListener): string {
  const host = l.address === '0.0.0.0' ? '127.0.0.1' : l.address === '::' ? '[::1]' : l.address.includes(':') ? `[${l.address}]` : l.address;
  return `${l.tls ? 'https' : 'http'}://${host}:${l.port}`;
}

/** Gateways (Istio's) that select none of the local gateways: they have no effect, almost always a label typo. */
export function unselectedGateways(resources: readonly Resource[], gateways: readonly LocalGateway[], meshFile: string): string[] {
  return resources
    .filter((r): r is Gateway => r.kind === 'Gateway' && !gateways.some((g) => selects(r.spec.selector, g.labels)))
    .map((r) => {
      const wanted = Object.entries(r.spec.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
      return `warning: Gateway ${r.metadata.namespace}/${r.metadata.name} selects ${wanted}, which no gateway of ${meshFile} spec.gateways carries; it listens nowhere (add a gateway, or its labels)`;
    });
}
