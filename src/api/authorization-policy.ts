// security.istio.io AuthorizationPolicy: who may do what to selected workloads. Rules match a
// request when any `from`, any `to` and every `when` match; action says what a match means.
import { Type, type Static } from '@sinclair/typebox';
import { ISTIO_SECURITY_VERSIONS } from './istio-common.js';
import { PolicyTargetReferenceSchema, resourceSchema, WorkloadSelectorSchema, type Stored } from './meta.js';
import { atMostOneOf, type Problem } from './problems.js';
import { Enum, NonEmpty, Opt, Strict, Strings } from './schema.js';

const SourceSchema = Strict({
  principals: Opt(Strings('peer identities, e.g. "cluster.local/ns/default/sa/sleep" (mTLS)')),
  notPrincipals: Opt(Strings()),
  requestPrincipals: Opt(Strings('JWT "issuer/subject"')),
  notRequestPrincipals: Opt(Strings()),
  namespaces: Opt(Strings('namespaces of the peer (mTLS)')),
  notNamespaces: Opt(Strings()),
  serviceAccounts: Opt(Strings()),
  notServiceAccounts: Opt(Strings()),
  ipBlocks: Opt(Strings('IPs or CIDRs of the direct peer')),
  notIpBlocks: Opt(Strings()),
  remoteIpBlocks: Opt(Strings('IPs or CIDRs of the original client (X-Forwarded-For)')),
  notRemoteIpBlocks: Opt(Strings()),
});

const OperationSchema = Strict({
  hosts: Opt(Strings()),
  notHosts: Opt(Strings()),
  ports: Opt(Strings('port numbers, as strings ("8080")')),
  notPorts: Opt(Strings()),
  methods: Opt(Strings()),
  notMethods: Opt(Strings()),
  paths: Opt(Strings('exact, "prefix*" or "*suffix"')),
  notPaths: Opt(Strings()),
});

const RuleSchema = Strict({
  from: Opt(Type.Array(Strict({ source: Opt(SourceSchema) }))),
  to: Opt(Type.Array(Strict({ operation: Opt(OperationSchema) }))),
  when: Opt(Type.Array(Strict({ key: NonEmpty('e.g. request.headers[x-token], source.ip'), values: Opt(Strings()), notValues: Opt(Strings()) }))),
});

export const AuthorizationPolicySpecSchema = Strict({
  selector: Opt(WorkloadSelectorSchema),
  targetRef: Opt(PolicyTargetReferenceSchema),
  targetRefs: Opt(Type.Array(PolicyTargetReferenceSchema)),
  rules: Opt(Type.Array(RuleSchema, { description: 'none: ALLOW matches nothing (deny all), DENY matches nothing' })),
  action: Opt(Enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'], 'default ALLOW')),
  provider: Opt(Strict({ name: NonEmpty('an extension provider of the mesh config') })),
});

export const AuthorizationPolicySchema = resourceSchema('AuthorizationPolicy', ISTIO_SECURITY_VERSIONS, AuthorizationPolicySpecSchema);
export type AuthorizationPolicy = Stored<Static<typeof AuthorizationPolicySchema>>;

export function checkAuthorizationPolicy(ap: Static<typeof AuthorizationPolicySchema>): Problem[] {
  const spec = ap.spec;
  const problems = atMostOneOf(spec, ['selector', 'targetRef', 'targetRefs'], ['spec']);
  if (spec.action === 'CUSTOM' && spec.provider === undefined) {
    problems.push({ path: ['spec', 'provider'], message: 'is required with action CUSTOM' });
  }
  if (spec.action !== 'CUSTOM' && spec.provider !== undefined) {
    problems.push({ path: ['spec', 'provider'], message: `is only allowed with action CUSTOM (action is ${spec.action ?? 'ALLOW'})` });
  }
  return problems;
}
