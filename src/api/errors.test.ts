// The exact lines users see for common mistakes: file and line, document, field path, what is
// allowed. Messages are a contract (DESIGN.md §2), so these compare whole lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REVIEWS_JASON } from './fixtures.js';
import { ConfigError, parseResources, validateResource } from './load.js';

/** The lines parseResources rejects `yaml` with (fails if it accepts it). */
function problems(yaml: string, code = 'MAILLE_ERR_CONFIG'): string[] {
  try {
    parseResources(yaml, 'mesh.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.message, err.problems.join('\n'));
    return [...err.problems];
  }
  assert.fail('expected the YAML to be rejected');
}

/** REVIEWS_JASON with one text edit, so each test shows only its mistake. */
function jason(from: string, to: string): string {
  assert.ok(REVIEWS_JASON.includes(from), `fixture has no ${JSON.stringify(from)}`);
  return REVIEWS_JASON.replace(from, to);
}

const VS = 'document 1 (VirtualService/default/reviews)';

describe('resource errors', () => {
  it('a typo in a field name suggests the field', () => {
    assert.deepEqual(problems(jason('    - destination:\n        host: reviews\n        subset: v2', '    - destinaton:\n        host: reviews\n        subset: v2')), [
      `mesh.yaml:15: ${VS}: spec.http[0].route[0].destinaton: unknown field (did you mean destination?)`,
    ]);
  });

  it('an unknown field far from any allowed one lists what is allowed', () => {
    assert.deepEqual(problems(jason('  hosts:', '  retryPolicy: {}\n  hosts:')), [
      `mesh.yaml:7: ${VS}: spec.retryPolicy: unknown field (allowed: hosts, gateways, http, tls, tcp, exportTo)`,
    ]);
  });

  it('a misplaced top-level field', () => {
    assert.deepEqual(problems(jason('spec:', 'specs: {}\nspec:')), [
      `mesh.yaml:6: ${VS}: specs: unknown field (did you mean spec?)`,
    ]);
  });

  it('a wrong enum value names the values allowed, and the one meant', () => {
    const yaml = 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec:\n  mtls:\n    mode: strict\n';
    assert.deepEqual(problems(yaml), [
      'mesh.yaml:6: document 1 (PeerAuthentication/istio-system/default): spec.mtls.mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT (got "strict"; did you mean STRICT?)',
    ]);
  });

  it('a bad duration shows the format', () => {
    assert.deepEqual(problems(jason('        subset: v2\n', '        subset: v2\n    timeout: 10\n')), [
      `mesh.yaml:18: ${VS}: spec.http[0].timeout: must be a duration such as "500ms", "1.5s", "1m" or "1h30m" (got 10)`,
    ]);
    assert.deepEqual(problems(jason('        subset: v2\n', '        subset: v2\n    timeout: 1 second\n')), [
      `mesh.yaml:18: ${VS}: spec.http[0].timeout: must be a duration such as "500ms", "1.5s", "1m" or "1h30m" (got "1 second")`,
    ]);
  });

  it('a missing name', () => {
    assert.deepEqual(problems(jason('  name: reviews\n', '  namespace: default\n')), [
      'mesh.yaml:4: document 1 (VirtualService/default/(unnamed)): metadata.name: is required (a lowercase RFC 1123 name: letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters)',
    ]);
  });

  it('a name Kubernetes would refuse', () => {
    assert.deepEqual(problems(jason('  name: reviews\n', '  name: Reviews_Route\n')), [
      'mesh.yaml:5: document 1 (VirtualService/default/Reviews_Route): metadata.name: must be a lowercase RFC 1123 name: letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters (got "Reviews_Route")',
    ]);
  });

  it('an unknown kind, with the likely one and the supported list', () => {
    assert.deepEqual(problems(jason('kind: VirtualService', 'kind: VirtualServices')), [
      'mesh.yaml:3: document 1 (VirtualServices/default/reviews): kind: VirtualServices of networking.istio.io/v1 is not a kind maille reads (did you mean VirtualService?); supported kinds: VirtualService, DestinationRule, Gateway, ServiceEntry (networking.istio.io/v1); PeerAuthentication, AuthorizationPolicy, RequestAuthentication (security.istio.io/v1); HTTPRoute, GRPCRoute (gateway.networking.k8s.io/v1); Mesh (maille.dev/v1alpha1)',
    ]);
  });

  it('an Istio kind maille does not read', () => {
    const [line] = problems('apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default}\nspec: {}\n');
    assert.match(line, /^mesh\.yaml:2: document 1 \(Sidecar\/default\/default\): kind: Sidecar of networking\.istio\.io\/v1 is not a kind maille reads; supported kinds: VirtualService, /);
  });

  it('a wrong apiVersion for the kind', () => {
    assert.deepEqual(problems(jason('networking.istio.io/v1', 'gateway.networking.k8s.io/v1')), [
      `mesh.yaml:2: ${VS}: apiVersion: must be networking.istio.io/v1, networking.istio.io/v1beta1 or networking.istio.io/v1alpha3 for kind VirtualService (got "gateway.networking.k8s.io/v1")`,
    ]);
  });

  it('a missing apiVersion', () => {
    assert.deepEqual(problems(jason('apiVersion: networking.istio.io/v1\n', '')), [
      `mesh.yaml:2: ${VS}: apiVersion: is required (networking.istio.io/v1, networking.istio.io/v1beta1 or networking.istio.io/v1alpha3 for kind VirtualService)`,
    ]);
  });

  it('a string match with two ways to match', () => {
    assert.deepEqual(problems(jason('          exact: jason', '          exact: jason\n          prefix: ja')), [
      `mesh.yaml:12: ${VS}: spec.http[0].match[0].headers["end-user"]: must have exactly one of exact, prefix, regex (got exact, prefix)`,
    ]);
  });

  it('a wrong type deep in a route', () => {
    assert.deepEqual(problems(jason('        subset: v2', '        subset: 2')), [
      `mesh.yaml:17: ${VS}: spec.http[0].route[0].destination.subset: must be a string (got 2)`,
    ]);
  });

  it('a route that both forwards and redirects', () => {
    assert.deepEqual(problems(jason('        subset: v2\n', '        subset: v2\n    redirect: {uri: /v2}\n')), [
      `mesh.yaml:10: ${VS}: spec.http[0]: must have exactly one of route, redirect, directResponse, delegate (got route, redirect)`,
    ]);
  });

  it('a namespace that is not a label', () => {
    assert.deepEqual(problems(jason('  name: reviews\n', '  name: reviews\n  namespace: Bookinfo\n')), [
      'mesh.yaml:6: document 1 (VirtualService/Bookinfo/reviews): metadata.namespace: must be a lowercase RFC 1123 label: letters, digits and "-", starting and ending with a letter or digit, at most 63 characters (got "Bookinfo")',
    ]);
  });

  it('a negative weight and a missing destination host, both reported', () => {
    const yaml = jason('        subset: v2\n', '        subset: v2\n      weight: -10\n').replace('        host: reviews\n        subset: v1', '        subset: v1');
    assert.deepEqual(problems(yaml), [
      `mesh.yaml:18: ${VS}: spec.http[0].route[0].weight: must be an integer >= 0 (got -10)`,
      `mesh.yaml:20: ${VS}: spec.http[1].route[0].destination.host: is required (a non-empty string)`,
    ]);
  });

  it('consistent hashing on two keys at once', () => {
    const yaml = [
      'apiVersion: networking.istio.io/v1',
      'kind: DestinationRule',
      'metadata: {name: reviews, namespace: bookinfo}',
      'spec:',
      '  host: reviews',
      '  trafficPolicy:',
      '    loadBalancer:',
      '      consistentHash: {httpHeaderName: x-user, useSourceIp: true}',
    ].join('\n');
    assert.deepEqual(problems(yaml), [
      'mesh.yaml:8: document 1 (DestinationRule/bookinfo/reviews): spec.trafficPolicy.loadBalancer.consistentHash: must have exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName (got httpHeaderName, useSourceIp)',
    ]);
  });

  it('port-level mTLS keyed by a name instead of a port', () => {
    const yaml = [
      'apiVersion: security.istio.io/v1',
      'kind: PeerAuthentication',
      'metadata: {name: ratings}',
      'spec:',
      '  selector: {matchLabels: {app: ratings}}',
      '  portLevelMtls:',
      '    http: {mode: DISABLE}',
    ].join('\n');
    assert.deepEqual(problems(yaml), [
      'mesh.yaml:7: document 1 (PeerAuthentication/default/ratings): spec.portLevelMtls.http: keys here must be port numbers (got "http")',
    ]);
  });

  it('a CUSTOM authorization policy without a provider', () => {
    const yaml = 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ext-authz}\nspec:\n  action: CUSTOM\n  rules: [{}]\n';
    assert.deepEqual(problems(yaml), ['mesh.yaml:4: document 1 (AuthorizationPolicy/default/ext-authz): spec.provider: is required with action CUSTOM']);
  });

  it('an HTTPRoute filter whose config does not match its type, and a backend without a port', () => {
    const yaml = [
      'apiVersion: gateway.networking.k8s.io/v1',
      'kind: HTTPRoute',
      'metadata: {name: reviews}',
      'spec:',
      '  parentRefs: [{group: "", kind: Service, name: reviews}]',
      '  rules:',
      '  - filters:',
      '    - type: RequestHeaderModifier',
      '      responseHeaderModifier: {set: [{name: x-served-by, value: maille}]}',
      '    backendRefs:',
      '    - name: reviews-v1',
    ].join('\n');
    const doc = 'document 1 (HTTPRoute/default/reviews)';
    assert.deepEqual(problems(yaml), [
      `mesh.yaml:8: ${doc}: spec.rules[0].filters[0].requestHeaderModifier: is required with type RequestHeaderModifier`,
      `mesh.yaml:9: ${doc}: spec.rules[0].filters[0].responseHeaderModifier: is not allowed with type RequestHeaderModifier (it goes with ResponseHeaderModifier)`,
      `mesh.yaml:11: ${doc}: spec.rules[0].backendRefs[0].port: is required when the backend is a Service`,
    ]);
  });

  it('a Gateway API path that is not absolute', () => {
    const yaml = [
      'apiVersion: gateway.networking.k8s.io/v1',
      'kind: HTTPRoute',
      'metadata: {name: api}',
      'spec:',
      '  rules:',
      '  - matches:',
      '    - path: {type: Pathprefix, value: api}',
    ].join('\n');
    assert.deepEqual(problems(yaml), [
      'mesh.yaml:7: document 1 (HTTPRoute/default/api): spec.rules[0].matches[0].path.type: must be one of Exact, PathPrefix, RegularExpression (got "Pathprefix"; did you mean PathPrefix?)',
    ]);
    assert.deepEqual(problems(yaml.replace('Pathprefix', 'PathPrefix')), [
      'mesh.yaml:7: document 1 (HTTPRoute/default/api): spec.rules[0].matches[0].path.value: must start with "/" for type PathPrefix (got "api")',
    ]);
  });

  it('a document that is not a resource', () => {
    assert.deepEqual(problems('- reviews\n- ratings\n'), ['mesh.yaml:1: document 1: must be a resource: an object with apiVersion, kind, metadata and spec (got a list)']);
  });

  it('a missing kind', () => {
    assert.deepEqual(problems('apiVersion: v1\nmetadata: {name: x}\n'), [
      'mesh.yaml:1: document 1: kind: is required (supported kinds: VirtualService, DestinationRule, Gateway, ServiceEntry (networking.istio.io/v1); PeerAuthentication, AuthorizationPolicy, RequestAuthentication (security.istio.io/v1); HTTPRoute, GRPCRoute (gateway.networking.k8s.io/v1); Mesh (maille.dev/v1alpha1))',
    ]);
  });

  it('a missing spec', () => {
    assert.deepEqual(problems('apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all}\n'), [
      'mesh.yaml:1: document 1 (AuthorizationPolicy/default/deny-all): spec: is required (an object)',
    ]);
  });

  it('a mesh file with a service twice', () => {
    const yaml = [
      'apiVersion: maille.dev/v1alpha1',
      'kind: Mesh',
      'metadata: {name: demo}',
      'spec:',
      '  services:',
      '  - {name: reviews, port: 9080, workloads: [{command: node reviews.js}]}',
      '  - {name: reviews, namespace: default, port: 9081}',
    ].join('\n');
    assert.deepEqual(problems(yaml), [
      'mesh.yaml:7: document 1 (Mesh/default/demo): spec.services[1].name: duplicate service reviews.default (first at spec.services[0])',
    ]);
  });
});

describe('problems across documents', () => {
  it('every document is checked and every problem reported, in order', () => {
    const yaml = [
      jason('        subset: v2', '        subset: 2'),
      '---',
      '# nothing here',
      '---',
      'apiVersion: networking.istio.io/v1',
      'kind: DestinationRule',
      'metadata: {name: reviews}',
      'spec: {hots: reviews}',
    ].join('\n');
    assert.deepEqual(problems(yaml), [
      `mesh.yaml:17: ${VS}: spec.http[0].route[0].destination.subset: must be a string (got 2)`,
      'mesh.yaml:29: document 3 (DestinationRule/default/reviews): spec.hots: unknown field (did you mean host?)',
    ]);
  });

  it('kubectl List documents name the item', () => {
    const yaml = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: networking.istio.io/v1',
      '  kind: DestinationRule',
      '  metadata: {name: ok}',
      '  spec: {host: reviews}',
      '- apiVersion: networking.istio.io/v1',
      '  kind: DestinationRule',
      '  metadata: {name: bad}',
      '  spec: {host: reviews, subsets: [{name: v1}, {name: v1}]}',
    ].join('\n');
    assert.deepEqual(problems(yaml), [
      'mesh.yaml:11: document 1 items[1] (DestinationRule/default/bad): spec.subsets[1].name: duplicate subset name "v1" (first at spec.subsets[0])',
    ]);
  });
});

describe('syntax errors', () => {
  it('name the line and column, and nothing is validated', () => {
    const lines = problems('apiVersion: v1\nkind: [VirtualService\n', 'MAILLE_ERR_CONFIG_SYNTAX');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^mesh\.yaml:\d+:\d+: /);
  });

  it('a key given twice', () => {
    assert.deepEqual(problems(jason('  hosts:\n  - reviews\n', '  hosts:\n  - reviews\n  hosts: [ratings]\n'), 'MAILLE_ERR_CONFIG_SYNTAX'), [
      'mesh.yaml:9:3: Map keys must be unique',
    ]);
  });
});

describe('validateResource', () => {
  it('without the YAML, lines name the file and document only', () => {
    assert.throws(
      () => validateResource({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'r' }, spec: {} }, { file: 'apply', docIndex: 0 }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems, ['apply: document 1 (DestinationRule/default/r): spec.host: is required (a non-empty string)']);
        return true;
      },
    );
  });

  it('returns the resource with the namespace filled in and status dropped', () => {
    const input = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'r' }, spec: { host: 'reviews' }, status: { x: 1 } };
    assert.deepEqual(validateResource(input, { file: 'apply', docIndex: 0 }), {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'r', namespace: 'default' },
      spec: { host: 'reviews' },
    });
    assert.deepEqual(input.metadata, { name: 'r' }, 'the input is not modified');
  });
});
