// security.istio.io RequestAuthentication: which JWTs selected workloads accept (issuer, keys,
// where the token is). A request with an invalid token is rejected; one without a token passes
// unless an AuthorizationPolicy requires requestPrincipals.
import { Type, type Static } from '@sinclair/typebox';
import { Duration } from './duration.js';
import { ISTIO_SECURITY_VERSIONS } from './istio-common.js';
import { PolicyTargetReferenceSchema, resourceSchema, WorkloadSelectorSchema, type Stored } from './meta.js';
import { atMostOneOf, eachOf, type Problem } from './problems.js';
import { Bool, NonEmpty, Opt, Str, Strict, Strings } from './schema.js';

const JWTRuleSchema = Strict({
  issuer: NonEmpty('the iss claim'),
  audiences: Opt(Strings('accepted aud values; default: the service hostnames')),
  jwksUri: Opt(Str('URL of the JSON Web Key Set')),
  jwks: Opt(Str('the JSON Web Key Set itself, inline')),
  fromHeaders: Opt(Type.Array(Strict({ name: NonEmpty(), prefix: Opt(Str('e.g. "Bearer "')) }))),
  fromParams: Opt(Strings()),
  fromCookies: Opt(Strings()),
  outputPayloadToHeader: Opt(Str()),
  outputClaimToHeaders: Opt(Type.Array(Strict({ header: NonEmpty(), claim: NonEmpty() }))),
  forwardOriginalToken: Opt(Bool()),
  timeout: Opt(Duration('timeout of fetching jwksUri')),
});

export const RequestAuthenticationSpecSchema = Strict({
  selector: Opt(WorkloadSelectorSchema),
  targetRef: Opt(PolicyTargetReferenceSchema),
  targetRefs: Opt(Type.Array(PolicyTargetReferenceSchema)),
  jwtRules: Opt(Type.Array(JWTRuleSchema)),
});

export const RequestAuthenticationSchema = resourceSchema('RequestAuthentication', ISTIO_SECURITY_VERSIONS, RequestAuthenticationSpecSchema);
export type RequestAuthentication = Stored<Static<typeof RequestAuthenticationSchema>>;

export function checkRequestAuthentication(ra: Static<typeof RequestAuthenticationSchema>): Problem[] {
  return [
    ...atMostOneOf(ra.spec, ['selector', 'targetRef', 'targetRefs'], ['spec']),
    ...eachOf(ra.spec.jwtRules, ['spec', 'jwtRules'], (rule, path) => atMostOneOf(rule, ['jwksUri', 'jwks'], path)),
  ];
}
