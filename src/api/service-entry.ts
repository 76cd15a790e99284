// networking.istio.io ServiceEntry: adds a service the registry does not know (an external API,
// a VM) so the mesh can route to it and apply policy.
import { Type, type Static } from '@sinclair/typebox';
import { IstioPortSchema, ISTIO_NETWORKING_VERSIONS } from './istio-common.js';
import { resourceSchema, type Stored } from './meta.js';
import { atMostOneOf, type Problem } from './problems.js';
import { Count, Enum, Opt, Port, Str, Strict, StringMap, Strings } from './schema.js';

const WorkloadEntrySchema = Strict({
  address: Opt(Str('IP, hostname or unix:// socket')),
  ports: Opt(Type.Record(Type.String(), Port(), { description: 'port name → port on this endpoint' })),
  labels: Opt(StringMap()),
  network: Opt(Str()),
  locality: Opt(Str('region/zone/subzone')),
  weight: Opt(Count()),
  serviceAccount: Opt(Str()),
});

export const ServiceEntrySpecSchema = Strict({
  hosts: Type.Array(Type.String(), { minItems: 1 }),
  addresses: Opt(Strings('virtual IPs or CIDRs')),
  ports: Opt(Type.Array(IstioPortSchema)),
  location: Opt(Enum(['MESH_EXTERNAL', 'MESH_INTERNAL'])),
  resolution: Opt(Enum(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'])),
  endpoints: Opt(Type.Array(WorkloadEntrySchema)),
  workloadSelector: Opt(Strict({ labels: Opt(StringMap()) })),
  exportTo: Opt(Strings()),
  subjectAltNames: Opt(Strings()),
});

export const ServiceEntrySchema = resourceSchema('ServiceEntry', ISTIO_NETWORKING_VERSIONS, ServiceEntrySpecSchema);
export type ServiceEntry = Stored<Static<typeof ServiceEntrySchema>>;

export function checkServiceEntry(se: Static<typeof ServiceEntrySchema>): Problem[] {
  return atMostOneOf(se.spec, ['endpoints', 'workloadSelector'], ['spec']);
}
