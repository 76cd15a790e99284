// The gateways of a local mesh: a Mesh's spec.gateways with every default filled in, as the
// launcher, the port check and the printed table all need them.
//
// Defaults follow what an Istio install gives, so Istio's YAML selects them unchanged:
// - labels `app: <name>` and `istio: <name without "istio-">` (Istio's gateway chart), so a
//   gateway named `ingressgateway` is what `selector: {istio: ingressgateway}` selects;
// - namespace istio-system, service account = name;
// - ports 80 → 8080 and 443 → 8443, as Istio's ingress gateway Service: a Gateway written for
//   port 80 listens on 8080, which a user who is not root can bind; other ports as written;
// - address 127.0.0.1: this is a developer's machine, and a mesh's ingress should not be on
//   the network unless asked (`address: 0.0.0.0`, or a server's `bind`).
import { DEFAULT_GATEWAY_ADDRESS, DEFAULT_GATEWAY_NAMESPACE, DEFAULT_GATEWAY_PORTS, type Mesh } from '../api/mesh.js';
import type { GatewayNode } from '../control-plane/translate/index.js';

export interface LocalGateway {
  /** The proxy's node id, e.g. ingressgateway.istio-system. */
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly address: string;
  /** Gateway port → listening port. */
  readonly targetPorts: Readonly<Record<number, number>>;
  /** `spec.gateways[i]`, for messages. */
  readonly path: string;
}

export function localGateways(mesh: Mesh): LocalGateway[] {
  return (mesh.spec.gateways ?? []).map((g, i) => {
    const namespace = g.namespace ?? DEFAULT_GATEWAY_NAMESPACE;
    const targetPorts: Record<number, number> = {};
    for (const p of g.ports ?? DEFAULT_GATEWAY_PORTS) targetPorts[p.port] = p.targetPort;
    return {
      id: `${g.name}.${namespace}`,
      name: g.name,
      namespace,
      serviceAccount: g.serviceAccount ?? g.name,
      labels: g.labels ?? { app: g.name, istio: g.name.replace(/^istio-/, '') },
      address: g.address ?? DEFAULT_GATEWAY_ADDRESS,
      targetPorts,
      path: `spec.gateways[${i}]`,
    };
  });
}

export function gatewayNode(g: LocalGateway): GatewayNode {
  return { kind: 'gateway', name: g.name, namespace: g.namespace, labels: g.labels, address: g.address, targetPorts: g.targetPorts };
}
