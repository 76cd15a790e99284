import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { analyze } from './analyze.js';
import { parsePath } from './lines.js';
import { analyzeLines, MESH, TempFiles } from './testing.js';

const files = new TempFiles();
after(() => files.remove());

const VS = (name: string, spec: string, ns = 'default') => `---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}`;

describe('maille analyze', () => {
  it('finds nothing in examples/mesh.yaml', () => {
    assert.deepEqual(analyze([{ file: 'examples/mesh.yaml', text: readFileSync('examples/mesh.yaml', 'utf8') }]), []);
  });

  it('reports routes to unknown hosts and subsets, and weights summing to 0, on the lines they are written', () => {
    const f = files.write(
      'routes.yaml',
      `${MESH}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
    - {name: v1, labels: {version: v1}}
    - {name: v9, labels: {version: v9}}
${VS('reviews', `  hosts: [reviews]
  http:
    - route:
        - destination: {host: reviws}
    - route:
        - destination: {host: reviews, subset: v3}
        - destination: {host: reviews, subset: v1}
`)}`,
    );
    assert.deepEqual(analyzeLines(f), [
      `${f}:23: warning: document 2 (DestinationRule/default/reviews): spec.subsets[1].labels: no workload of service default/reviews carries version=v9 (its workloads: app=reviews, version=v1; app=reviews, version=v2), so subset "v9" has no endpoints; fix the labels, or add a workload with them to the Mesh`,
      `${f}:32: error: document 3 (VirtualService/default/reviews): spec.http[0].route[0].destination.host: "reviws" (reviws.default.svc.cluster.local) is neither a service of the Mesh nor a ServiceEntry host, so requests routed there fail with 503; did you mean reviews?`,
      `${f}:33: error: document 3 (VirtualService/default/reviews): spec.http[1].route: no destination has a weight above 0 (a missing weight counts as 0), so no share is defined and maille splits evenly; give each destination its weight`,
      `${f}:34: error: document 3 (VirtualService/default/reviews): spec.http[1].route[0].destination.subset: subset "v3" is not defined by any DestinationRule for reviews.default.svc.cluster.local (defined: v1, v9), so requests routed there fail with 503; add it to the spec.subsets of a DestinationRule for reviews.default.svc.cluster.local, or route to a defined subset`,
    ]);
  });

  it('reports resources in conflict across files: the newer one, naming the older that applies', () => {
    const a = files.write('a.yaml', `${MESH}---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec: {host: reviews}\n${VS('reviews', '  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}]}]\n')}`);
    const b = files.write(
      'b.yaml',
      `${VS('reviews-2', '  hosts: [reviews.default.svc.cluster.local]\n  http: [{route: [{destination: {host: reviews}}]}]\n')}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-2}
spec: {host: reviews.default.svc.cluster.local}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: a}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: b}
spec: {mtls: {mode: PERMISSIVE}}
`,
    );
    assert.deepEqual(analyzeLines(a, b), [
      `${b}:6: warning: document 1 (VirtualService/default/reviews-2): spec.hosts[0]: reviews.default.svc.cluster.local is also routed by VirtualService default/reviews (${a}:21), which is older and applies: sidecars use one VirtualService per host, so this one is ignored for it; merge their routes into one VirtualService`,
      `${b}:12: warning: document 2 (DestinationRule/default/reviews-2): spec.host: DestinationRule default/reviews (${a}:16) is for the same host reviews.default.svc.cluster.local in this namespace; they are merged (subsets pooled, the first definition of a name and the older trafficPolicy win); keep one DestinationRule per host`,
      `${b}:22: error: document 4 (PeerAuthentication/default/b): spec: namespace default already has a namespace-wide PeerAuthentication, PeerAuthentication default/a (${b}:14); only the oldest applies, so this one is ignored; merge them into one, or give this one a selector`,
    ]);
  });

  it('sees no conflict between VirtualServices no namespace sees both of (exportTo ".")', () => {
    const f = files.write(
      'export.yaml',
      `${MESH}${VS('a', '  hosts: [reviews.default.svc.cluster.local]\n  exportTo: ["."]\n  http: [{route: [{destination: {host: reviews.default.svc.cluster.local}}]}]\n', 'other')}${VS('b', '  hosts: [reviews]\n  exportTo: ["."]\n  http: [{route: [{destination: {host: reviews}}]}]\n')}`,
    );
    assert.deepEqual(analyzeLines(f), []);
  });

  it('reports mesh-wide policies twice, a selector in the root namespace, and a second Mesh', () => {
    const pa = (name: string, spec: string) => `---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: ${name}, namespace: istio-system}\nspec: ${spec}\n`;
    const f = files.write(
      'mesh-wide.yaml',
      `${MESH}${pa('mesh-a', '{mtls: {mode: STRICT}}')}${pa('mesh-b', '{mtls: {mode: PERMISSIVE}}')}${pa('sel', '{selector: {matchLabels: {app: reviews}}}')}---\napiVersion: maille.dev/v1alpha1\nkind: Mesh\nmetadata: {name: second}\nspec: {services: []}\n`,
    );
    assert.deepEqual(analyzeLines(f), [
      `${f}:24: error: document 3 (PeerAuthentication/istio-system/mesh-b): spec: the mesh (root namespace istio-system) already has a mesh-wide PeerAuthentication, PeerAuthentication istio-system/mesh-a (${f}:16); only the oldest applies, so this one is ignored; merge them into one`,
      `${f}:29: warning: document 4 (PeerAuthentication/istio-system/sel): spec.selector.matchLabels: a PeerAuthentication with a selector in the root namespace istio-system applies to no workload (mesh-wide policies have no selector); move it to the namespace of the workloads it selects, or drop the selector`,
      `${f}:31: error: document 5 (Mesh/default/second): Mesh default/demo (${f}:1) is also a Mesh; maille run takes exactly one; merge their services into one Mesh`,
    ]);
  });

  it('reports policy selectors that match no workload, and passes those that match', () => {
    const ap = (name: string, ns: string, labels: string) =>
      `---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  selector: {matchLabels: ${labels}}\n`;
    const f = files.write('selectors.yaml', `${MESH}${ap('typo', 'default', '{app: reveiws}')}${ap('ok', 'default', '{app: reviews, version: v2}')}${ap('elsewhere', 'other', '{app: reviews}')}${ap('mesh', 'istio-system', '{app: client}')}`);
    assert.deepEqual(analyzeLines(f), [
      `${f}:20: warning: document 2 (AuthorizationPolicy/default/typo): spec.selector.matchLabels: no workload in namespace default carries app=reveiws, so this AuthorizationPolicy applies to nothing; fix the labels or the namespace`,
      `${f}:32: warning: document 4 (AuthorizationPolicy/other/elsewhere): spec.selector.matchLabels: no workload in namespace other carries app=reviews, so this AuthorizationPolicy applies to nothing; fix the labels or the namespace`,
    ]);
  });

  it('checks Gateway API parents and backends, and a rule whose backends all weigh 0', () => {
    const f = files.write(
      'gamma.yaml',
      `${MESH}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{kind: Service, group: "", name: reveiws}]
  rules:
    - backendRefs:
        - {name: reviews, port: 9080, weight: 0}
        - {name: ratings, port: 9080, weight: 0}
`,
    );
    assert.deepEqual(analyzeLines(f), [
      `${f}:20: error: document 2 (HTTPRoute/default/r): spec.parentRefs[0].name: no service default/reveiws in the Mesh, so this route applies to nothing; did you mean reviews?`,
      `${f}:22: error: document 2 (HTTPRoute/default/r): spec.rules[0].backendRefs: every backend has weight 0, so requests matching this rule get 500; give at least one backend a weight above 0`,
      `${f}:24: error: document 2 (HTTPRoute/default/r): spec.rules[0].backendRefs[1].name: no service default/ratings in the Mesh, so requests sent to this backend fail with 503; fix the name, or declare the service in the Mesh or the host in a ServiceEntry`,
    ]);
  });

  it('reports Gateways that select no gateway of the Mesh, and VirtualServices bound to undeclared Gateways', () => {
    const gw = (name: string, ns: string, selector: string) =>
      `---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  selector: ${selector}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]\n`;
    const withGateways = MESH.replace('spec:\n', 'spec:\n  gateways:\n    - name: ingressgateway\n');
    const f = files.write(
      'gateways.yaml',
      `${withGateways}${gw('ok', 'istio-system', '{istio: ingressgateway}')}${gw('typo', 'default', '{istio: ingresgateway}')}${VS(
        'front',
        '  hosts: ["*"]\n  gateways: [ok, istio-system/ok, mesh, istio-system/typo]\n  http: [{route: [{destination: {host: reviews}}]}]\n',
      )}`,
    );
    assert.deepEqual(analyzeLines(f), [
      `${f}:29: warning: document 3 (Gateway/default/typo): spec.selector: no gateway of the Mesh carries istio=ingresgateway (the Mesh's gateways carry app=ingressgateway, istio=ingressgateway (spec.gateways[0] ingressgateway)), so this Gateway listens nowhere; fix the selector, or add a gateway with these labels to the Mesh's spec.gateways`,
      `${f}:37: error: document 4 (VirtualService/default/front): spec.gateways[0]: no Gateway default/ok among the files analyzed, so no gateway serves these routes; did you mean istio-system/ok?`,
      `${f}:37: error: document 4 (VirtualService/default/front): spec.gateways[3]: no Gateway istio-system/typo among the files analyzed, so no gateway serves these routes; did you mean default/typo?`,
    ]);
    // Without gateways in the Mesh, a selector-less Gateway listens nowhere either.
    const none = files.write('no-gateways.yaml', `${MESH}${gw('all', 'default', '{}')}`);
    assert.deepEqual(analyzeLines(none), [
      `${none}:20: warning: document 2 (Gateway/default/all): spec.selector: no gateway of the Mesh carries any labels (the Mesh declares no gateway in spec.gateways), so this Gateway listens nowhere; fix the selector, or add a gateway with these labels to the Mesh's spec.gateways`,
    ]);
  });

  it('finds nothing in examples/gateway.yaml', () => {
    assert.deepEqual(analyze([{ file: 'examples/gateway.yaml', text: readFileSync('examples/gateway.yaml', 'utf8') }]), []);
  });

  it('counts ServiceEntry hosts as known, and surfaces what translate cannot apply, once', () => {
    const f = files.write(
      'entry.yaml',
      `${MESH}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, protocol: TLS, name: tls}]
  resolution: DNS
${VS('ext', '  hosts: [api.example.com]\n  tls: [{match: [{sniHosts: [api.example.com]}], route: [{destination: {host: api.example.com}}]}]\n')}${VS(
        'r',
        '  hosts: [reviews]\n  http:\n    - corsPolicy: {allowOrigins: [{exact: "https://a.example"}]}\n      route: [{destination: {host: reviews}}]\n',
      )}`,
    );
    // Every sidecar of the Mesh translates this VirtualService: the warning is reported once.
    assert.deepEqual(analyzeLines(f), [`${f}:37: warning: document 4 (VirtualService/default/r): spec.http[0].corsPolicy: CORS is not supported by the proxy yet; ignored`]);
  });

  it('reports schema and syntax errors per document, and still checks the documents that are valid', () => {
    const bad = files.write('bad.yaml', `${MESH}${VS('bad', '  hosts: [reviews]\n  htp: []\n')}${VS('good', '  hosts: [reviews]\n  http: [{route: [{destination: {host: nope}}]}]\n')}`);
    const syntax = files.write('syntax.yaml', 'a: [\n');
    assert.deepEqual(analyzeLines(bad), [
      `${bad}:21: error: document 2 (VirtualService/default/bad): spec.htp: unknown field (did you mean http?)`,
      `${bad}:28: error: document 3 (VirtualService/default/good): spec.http[0].route[0].destination.host: "nope" (nope.default.svc.cluster.local) is neither a service of the Mesh nor a ServiceEntry host, so requests routed there fail with 503; fix the name, or declare the service in the Mesh or the host in a ServiceEntry`,
    ]);
    // A document that does not parse may be the one declaring a service: nothing is called unknown then.
    assert.deepEqual(analyzeLines(bad, syntax), [
      `${bad}:21: error: document 2 (VirtualService/default/bad): spec.htp: unknown field (did you mean http?)`,
      `${syntax}:2: error: document 1: column 1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it('without a Mesh, checks nothing against services and workloads (it cannot know them)', () => {
    const f = files.write('no-mesh.yaml', VS('a', '  hosts: [nothing]\n  http: [{route: [{destination: {host: nothing, subset: v1}}]}]\n').slice(4));
    assert.deepEqual(analyzeLines(f), []);
  });

  it('gives the data shape of -o json', () => {
    const f = files.write('data.yaml', `${MESH}${VS('r', '  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews, subset: v1}}]}]\n')}`);
    assert.deepEqual(analyze([{ file: f, text: readFileSync(f, 'utf8') }]), [
      {
        severity: 'error',
        file: f,
        line: 21,
        document: 2,
        resource: 'VirtualService/default/r',
        path: 'spec.http[0].route[0].destination.subset',
        message:
          'subset "v1" is not defined by any DestinationRule for reviews.default.svc.cluster.local, so requests routed there fail with 503; add it to the spec.subsets of a DestinationRule for reviews.default.svc.cluster.local, or route to a defined subset',
      },
    ]);
  });

  it('reads translate paths back into segments', () => {
    assert.deepEqual(parsePath('spec.http[0].route[12].destination'), ['spec', 'http', 0, 'route', 12, 'destination']);
    assert.deepEqual(parsePath('spec.portLevelMtls.8080'), ['spec', 'portLevelMtls', '8080']);
    assert.deepEqual(parsePath('spec.selector["app.kubernetes.io/name"]'), ['spec', 'selector', 'app.kubernetes.io/name']);
  });
});
