// maille.dev Mesh: the services and workloads `maille run` starts on this machine (DESIGN.md §3).
// maille's own kind, for what neither Istio nor Gateway API describe: the processes themselves,
// the gateway proxies Istio Gateways select, and the certificates their credentialNames name.
import { isIP } from 'node:net';
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

/** A port of the gateway, as the gateway's Kubernetes Service maps it: Gateway servers declare `port`. */
const GatewayPortSchema = Strict({
  port: Port('the port Gateway servers declare (port.number), as on the gateway Service'),
  targetPort: Port('the port the gateway proxy listens on for it'),
  name: Opt(NonEmpty()),
});

/** Istio installs its ingress gateway's Service with these ports (80 → 8080, 443 → 8443). */
export const DEFAULT_GATEWAY_PORTS: readonly { port: number; targetPort: number }[] = [
  { port: 80, targetPort: 8080 },
  { port: 443, targetPort: 8443 },
];
export const DEFAULT_GATEWAY_NAMESPACE = 'istio-system';
export const DEFAULT_GATEWAY_ADDRESS = '127.0.0.1';

const MeshGatewaySchema = Strict({
  name: ServiceNameSchema,
  namespace: Opt(NamespaceNameSchema),
  serviceAccount: Opt(NonEmpty('identity spiffe://<trust-domain>/ns/<namespace>/sa/<serviceAccount>; default: name')),
  labels: Opt(StringMap('what Gateway selectors match; default app: <name>, istio: <name without "istio-">')),
  address: Opt(NonEmpty('an IP address the listeners bind (a server\'s bind wins); default 127.0.0.1')),
  ports: Opt(Type.Array(GatewayPortSchema, { description: 'default: 80 → 8080 and 443 → 8443, as Istio\'s ingress gateway Service' })),
});
export type MeshGateway = Static<typeof MeshGatewaySchema>;

/** A certificate a Gateway names by credentialName (in Kubernetes: a TLS secret). */
const CredentialSchema = Strict({
  certFile: NonEmpty('PEM certificate chain, relative to the mesh file'),
  keyFile: NonEmpty('PEM private key, relative to the mesh file'),
  caCertFile: Opt(NonEmpty('PEM CA bundle that verifies client certificates (tls.mode MUTUAL; the secret\'s ca.crt), relative to the mesh file')),
});

export const MeshSpecSchema = Strict({
  services: Type.Array(MeshServiceSchema),
  gateways: Opt(Type.Array(MeshGatewaySchema)),
  credentials: Opt(Type.Record(Type.String(), CredentialSchema, { description: 'credentialName → certificate files' })),
});

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
  problems.push(...gatewayProblems(mesh.spec.gateways ?? []));
  for (const name of Object.keys(mesh.spec.credentials ?? {})) {
    if (!CREDENTIAL_NAME.test(name)) problems.push({ path: ['spec', 'credentials', name], message: `must be a credentialName: a lowercase RFC 1123 name, optionally "namespace/name" (got "${name}")` });
  }
  return problems;
}

const CREDENTIAL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function gatewayProblems(gateways: readonly MeshGateway[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  gateways.forEach((g, i) => {
    const key = `${g.name}.${g.namespace ?? DEFAULT_GATEWAY_NAMESPACE}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else problems.push({ path: ['spec', 'gateways', i, 'name'], message: `duplicate gateway ${key} (first at spec.gateways[${first}])` });
    if (g.address !== undefined && isIP(g.address) === 0) {
      problems.push({ path: ['spec', 'gateways', i, 'address'], message: `must be an IP address such as 127.0.0.1 or 0.0.0.0 (got "${g.address}")` });
    }
    const ports = new Map<number, number>();
    (g.ports ?? []).forEach((p, j) => {
      const earlier = ports.get(p.port);
      if (earlier === undefined) ports.set(p.port, j);
      else problems.push({ path: ['spec', 'gateways', i, 'ports', j, 'port'], message: `duplicate port ${p.port} (first at spec.gateways[${i}].ports[${earlier}])` });
    });
  });
  return problems;
}
