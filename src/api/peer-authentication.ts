// security.istio.io PeerAuthentication: whether workloads accept plaintext, mTLS or both.
// Mesh-wide in the root namespace (istio-system), namespace-wide without a selector, per workload
// with one, per port with portLevelMtls.
import { Type, type Static } from '@sinclair/typebox';
import { ISTIO_SECURITY_VERSIONS } from './istio-common.js';
import { resourceSchema, WorkloadSelectorSchema, type Stored } from './meta.js';
import type { Problem } from './problems.js';
import { Enum, EXPECTED, Opt, Strict } from './schema.js';

export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

const MutualTLSSchema = Strict({ mode: Opt(Enum(MTLS_MODES, 'UNSET inherits from the parent scope')) });

export const PeerAuthenticationSpecSchema = Strict({
  selector: Opt(WorkloadSelectorSchema),
  mtls: Opt(MutualTLSSchema),
  // Keys are port numbers (YAML `8080:` arrives as the string "8080").
  portLevelMtls: Opt(
    Type.Record(Type.String({ pattern: '^[0-9]+$' }), MutualTLSSchema, {
      description: 'port number (of the workload) → mode',
      additionalProperties: false,
      [EXPECTED]: 'port numbers',
    }),
  ),
});

export const PeerAuthenticationSchema = resourceSchema('PeerAuthentication', ISTIO_SECURITY_VERSIONS, PeerAuthenticationSpecSchema);
export type PeerAuthentication = Stored<Static<typeof PeerAuthenticationSchema>>;

export function checkPeerAuthentication(pa: Static<typeof PeerAuthenticationSchema>): Problem[] {
  // Istio's rule: ports belong to workloads, so port-level settings need a workload selector.
  if (pa.spec.portLevelMtls !== undefined && pa.spec.selector === undefined) {
    return [{ path: ['spec', 'portLevelMtls'], message: 'needs spec.selector (port-level settings apply to selected workloads only)' }];
  }
  return [];
}
