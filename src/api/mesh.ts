// maille.dev Mesh: the services and workloads `maille run` starts on this machine (DESIGN.md §3).
// maille's own kind, for what neither Istio nor Gateway API describe: the processes themselves.
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_NAMESPACE, NamespaceNameSchema, resourceSchema, type Stored } from './meta.js';
import type { Problem } from './problems.js';
import { Enum, NonEmpty, Opt, Pattern, Port, Strict, StringMap } from './schema.js';

export const MAILLE_VERSIONS = ['maille.dev/v1alpha1'] as const;

/** Service names become host names (`reviews`, `reviews.default`): an RFC 1123 label. */
const ServiceNameSchema = Pattern(
  '^[a-z]([-a-z0-9]*[a-z0-9])?$',
  'a lowercase RFC 1123 label: letters, digits and "-", starting with a letter, at most 63 characters',
  { maxLength: 63 },
);

const WorkloadSchema = Strict({
  version: Opt(NonEmpty('the version label (v1, v2…) subsets select on')),
  command: NonEmpty('the app, run by a shell; it must listen on $PORT'),
  replicas: Opt(Type.Integer({ minimum: 0, maximum: 100, description: 'default 1' })),
  labels: Opt(StringMap('added to app=<service> and version=<version>')),
  env: Opt(StringMap('extra environment of the app')),
});

const MeshServiceSchema = Strict({
  name: ServiceNameSchema,
  namespace: Opt(NamespaceNameSchema),
  port: Port('the port callers use'),
  serviceAccount: Opt(NonEmpty('identity spiffe://<trust-domain>/ns/<namespace>/sa/<serviceAccount>; default: name')),
  protocol: Opt(Enum(['http', 'http2', 'grpc', 'tcp'], 'default: detected')),
  workloads: Opt(Type.Array(WorkloadSchema)),
});
export type MeshService = Static<typeof MeshServiceSchema>;

export const MeshSpecSchema = Strict({ services: Type.Array(MeshServiceSchema) });

export const MeshSchema = resourceSchema('Mesh', MAILLE_VERSIONS, MeshSpecSchema);
export type Mesh = Stored<Static<typeof MeshSchema>>;

export function checkMesh(mesh: Static<typeof MeshSchema>): Problem[] {
  const problems: Problem[] = [];
  const services = new Map<string, number>();
  mesh.spec.services.forEach((s, i) => {
    const key = `${s.name}.${s.namespace ?? DEFAULT_NAMESPACE}`;
    const first = services.get(key);
    if (first === undefined) services.set(key, i);
    else problems.push({ path: ['spec', 'services', i, 'name'], message: `duplicate service ${key} (first at spec.services[${first}])` });
    const versions = new Map<string, number>();
    (s.workloads ?? []).forEach((w, j) => {
      const version = w.version ?? '';
      const earlier = versions.get(version);
      if (earlier === undefined) versions.set(version, j);
      else {
        const what = w.version === undefined ? 'a second workload without version' : `duplicate version "${version}"`;
        const message = `${what} (first at spec.services[${i}].workloads[${earlier}])`;
        problems.push({ path: ['spec', 'services', i, 'workloads', j, 'version'], message });
      }
    });
  });
  return problems;
}
