// Auto mTLS, the client side: whether an outbound cluster originates mesh mTLS, as Istio decides.
//
//   1. A DestinationRule `tls` that applies to the cluster (merged per port and subset in
//      policies.ts) is the user's word: DISABLE (also Istio's default mode when `tls` is written
//      without one) → plaintext; SIMPLE and MUTUAL → plaintext, reported in policies.ts as not
//      supported yet; ISTIO_MUTUAL → mTLS, to whatever the endpoints are.
//   2. Otherwise (auto): mTLS when the endpoints are sidecars — registry workloads, or workloads a
//      MESH_INTERNAL ServiceEntry selects — and their PeerAuthentication accepts it; plaintext to a
//      MESH_EXTERNAL ServiceEntry (Istio's default location) and to addresses or DNS names.
//
// Istio decides per endpoint (Envoy's transport socket matches); the proxy per cluster. When the
// workloads of a cluster disagree: without a STRICT one every workload accepts plaintext, so
// plaintext; with STRICT and DISABLE ones nothing works for all, so mTLS (the safe side) and a
// warning.
//
// The expected server identities are the SPIFFE IDs of the service accounts of all the service's
// workloads, not only the subset's (as Istio: identity belongs to the service, and a workload
// moving between subsets must not fail handshakes).
import type { ClusterMtls } from '../../model/snapshot.js';
import type { RegistrySnapshot, Workload } from '../registry/types.js';
import type { CatalogService } from './catalog.js';
import { serviceWorkloads } from './endpoints.js';
import { compare } from './order.js';
import type { PeerAuthentications } from './peer-authentication.js';
import type { ClientTls } from './policies.js';
import type { Warnings } from './warnings.js';

export class MeshTls {
  constructor(
    private readonly registry: RegistrySnapshot,
    private readonly peers: PeerAuthentications,
    private readonly trustDomain: string,
    private readonly warnings: Warnings,
  ) {}

  /**
   * @param workloads the sidecars behind this cluster (after its subset), undefined when its
   *   endpoints are not sidecars
   */
  forCluster(cluster: string, service: CatalogService, workloads: readonly Workload[] | undefined, tls: ClientTls | undefined): ClusterMtls | undefined {
    if (tls !== undefined) return this.explicit(service, workloads, tls);
    if (workloads === undefined || workloads.length === 0 || meshExternal(service)) return undefined;
    const modes = new Set(workloads.map((w) => this.peers.modeFor(w)));
    if (!modes.has('STRICT') && modes.has('DISABLE')) return undefined;
    if (modes.has('DISABLE')) {
      const disabled = workloads.filter((w) => this.peers.modeFor(w) === 'DISABLE').map((w) => w.id);
      this.warnings.add(
        `cluster ${cluster}: PeerAuthentication requires mTLS on some of its workloads and disables it on others (${disabled.join(', ')}); mTLS is sent, so requests to those fail`,
      );
    }
    return this.identities(service, undefined);
  }

  private explicit(service: CatalogService, workloads: readonly Workload[] | undefined, tls: ClientTls): ClusterMtls | undefined {
    if (tls.value.mode !== 'ISTIO_MUTUAL') return undefined;
    const disabled = (workloads ?? []).filter((w) => this.peers.modeFor(w) === 'DISABLE').map((w) => w.id);
    if (disabled.length > 0) {
      // Not per cluster: the rule and the workloads say it all, once.
      this.warnings.at(tls.rule, `${tls.path}.mode`, `ISTIO_MUTUAL, but PeerAuthentication disables mTLS on ${disabled.join(', ')}; mTLS is sent as asked, so requests to those fail`);
    }
    const mtls = this.identities(service, tls.value.subjectAltNames);
    return tls.value.sni !== undefined && tls.value.sni !== '' ? { sni: tls.value.sni, ...mtls } : mtls;
  }

  /** Identities the server may present: the DestinationRule's when it names some, else the service's. */
  private identities(service: CatalogService, fromRule: readonly string[] | undefined): ClusterMtls {
    const names = fromRule !== undefined && fromRule.length > 0 ? [...fromRule] : this.serviceIdentities(service);
    // No known identity: any SPIFFE ID of the trust domain (the proxy's rule when the list is absent).
    return names.length > 0 ? { subjectAltNames: names } : {};
  }

  private serviceIdentities(service: CatalogService): string[] {
    const ids = new Set((serviceWorkloads(this.registry, service) ?? []).map((w) => `spiffe://${this.trustDomain}/ns/${w.namespace}/sa/${w.serviceAccount}`));
    if (service.source.kind === 'service-entry') for (const san of service.source.entry.spec.subjectAltNames ?? []) ids.add(san);
    return [...ids].sort(compare);
  }
}

/** Istio's ServiceEntry location defaults to MESH_EXTERNAL. */
function meshExternal(service: CatalogService): boolean {
  return service.source.kind === 'service-entry' && (service.source.entry.spec.location ?? 'MESH_EXTERNAL') === 'MESH_EXTERNAL';
}
