// What the translated route tables do with requests, checked with the proxy's own router: the
// goldens say what the snapshot is, these say it means what the Istio / Gateway API YAML means.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Snapshot } from '../../model/snapshot.js';
import { HeaderList } from '../../proxy/http/headers.js';
import { compileRouteConfig } from '../../proxy/router/compile.js';
import type { CompiledRoute, RouteInput } from '../../proxy/router/types.js';
import { translate } from './index.js';
import { ingressGateway, loadResources, MESH, meshRegistry, sidecarOf } from './testing.js';

function snapshotFor(files: string[], proxy: 'productpage' | 'ledger' | 'gateway'): Snapshot {
  const registry = meshRegistry();
  const node = proxy === 'gateway' ? ingressGateway() : sidecarOf(registry, proxy === 'ledger' ? 'ledger-v1-0' : 'productpage-v1-0');
  const credentials = { 'istio-system/api-cert': { certFile: '/c.pem', keyFile: '/k.pem' } };
  return translate({ resources: files.flatMap(loadResources), registry, mesh: MESH, proxy: node, credentials }).snapshot;
}

function router(snapshot: Snapshot, table: string): (authority: string, path: string, headers?: Record<string, string>, method?: string) => CompiledRoute | undefined {
  const rc = (snapshot.routeConfigs ?? []).find((r) => r.name === table);
  assert.ok(rc, `route table ${table}`);
  const compiled = compileRouteConfig(rc);
  return (authority, path, headers = {}, method = 'GET') => compiled.match(input(authority, path, headers, method));
}

function input(authority: string, path: string, headers: Record<string, string> = {}, method = 'GET'): RouteInput {
  return { authority, path, method, headers: HeaderList.fromRecord(headers) };
}

const clusters = (r: CompiledRoute | undefined) => r?.destinations.map((d) => `${d.cluster}${d.weight !== 1 ? `@${d.weight}` : ''}`);

describe('sidecar outbound routing', () => {
  it('sends jason to reviews v2 and everyone else to v1, by every name of the service', () => {
    const route = router(snapshotFor(['bookinfo-destination-rules.yaml', 'reviews-test-v2.yaml'], 'productpage'), 'outbound');
    for (const host of ['reviews:9080', 'reviews', 'reviews.default:9080', 'reviews.default.svc.cluster.local:9080', 'REVIEWS.default.svc:9080']) {
      assert.deepEqual(clusters(route(host, '/reviews/0', { 'end-user': 'jason' })), ['outbound|9080|v2|reviews.default.svc.cluster.local'], host);
      assert.deepEqual(clusters(route(host, '/reviews/0')), ['outbound|9080|v1|reviews.default.svc.cluster.local'], host);
    }
    assert.equal(route('nosuch:9080', '/'), undefined);
  });

  it('splits 90/10 by weight', () => {
    const route = router(snapshotFor(['bookinfo-destination-rules.yaml', 'reviews-90-10.yaml'], 'productpage'), 'outbound');
    const r = route('reviews:9080', '/');
    assert.deepEqual(clusters(r), ['outbound|9080|v1|reviews.default.svc.cluster.local@90', 'outbound|9080|v2|reviews.default.svc.cluster.local@10']);
    assert.equal(r?.pickDestination(0.89).cluster, 'outbound|9080|v1|reviews.default.svc.cluster.local');
    assert.equal(r?.pickDestination(0.91).cluster, 'outbound|9080|v2|reviews.default.svc.cluster.local');
  });

  it('offers the short name only to clients of the service\'s own namespace', () => {
    const fromOther = router(snapshotFor([], 'ledger'), 'outbound');
    assert.equal(fromOther('reviews:9080', '/'), undefined);
    assert.ok(fromOther('reviews.default:9080', '/'));
    assert.ok(fromOther('ledger', '/'));
    // ledger has ports 80 and 9090: a host without a port means 80.
    assert.deepEqual(clusters(fromOther('ledger', '/')), ['outbound|80||ledger.other.svc.cluster.local']);
    assert.deepEqual(clusters(fromOther('ledger:9090', '/')), ['outbound|9090||ledger.other.svc.cluster.local']);
  });

  it('applies VirtualService actions: redirect, direct response, rewrite, method lists', () => {
    const route = router(snapshotFor(['route-actions.yaml'], 'productpage'), 'outbound');
    const shop = route('productpage:9080', '/SHOP/cart?x=1');
    assert.equal(shop?.kind, 'redirect');
    assert.equal(shop?.redirectLocation(input('productpage:9080', '/SHOP/cart?x=1'), 'http'), 'http://store.example.com/store?x=1');
    assert.equal(route('productpage:9080', '/healthz')?.direct?.body, 'ok\n');
    assert.equal(route('productpage:9080', '/healthz', {}, 'POST')?.name, 'default/productpage/4');
    const api = route('productpage:9080', '/api/v1/items?debug=1');
    assert.equal(api?.name, 'default/productpage/api');
    assert.deepEqual(api?.rewrite(input('productpage:9080', '/api/v1/items?debug=1')), { path: '/v2/items?debug=1', authority: 'productpage.internal' });
    // withoutHeaders: the same request carrying x-internal falls through to the catch-all.
    assert.equal(route('productpage:9080', '/api/v1/items?debug=1', { 'x-internal': '1' })?.name, 'default/productpage/4');
    assert.equal(route('productpage:9080', '/products/12', {}, 'HEAD')?.name, 'default/productpage/api.get-products');
  });
});

describe('GAMMA routes', () => {
  const route = router(snapshotFor(['gamma.yaml'], 'productpage'), 'outbound');

  it('matches a path prefix by whole segments and rewrites the matched prefix', () => {
    const api = route('echo:8080', '/api/users?id=1');
    assert.deepEqual(clusters(api), ['outbound|8080||echo-v1.default.svc.cluster.local@90', 'outbound|8080||echo-v2.default.svc.cluster.local@10']);
    assert.equal(api?.rewrite(input('echo:8080', '/api/users?id=1')).path, '/v2/users?id=1');
    assert.equal(route('echo:8080', '/api')?.rewrite(input('echo:8080', '/api')).path, '/v2');
    // `/apix` is not under `/api`: it falls to the next rules.
    assert.equal(route('echo:8080', '/apix')?.name, 'default/echo-split/2');
    assert.equal(route('echo:8080', '/apix', { 'x-canary': 'yes' })?.name, 'default/echo-split/0');
  });

  it('routes gRPC methods', () => {
    assert.equal(route('greeter:50051', '/helloworld.Greeter/SayHello', {}, 'POST')?.name, 'default/greeter/0');
    assert.equal(route('greeter:50051', '/helloworld.Greeter/SayBye', {}, 'POST')?.name, 'default/greeter/1');
    assert.equal(route('greeter:50051', '/other.Service/SayHello', {}, 'POST'), undefined);
  });

  it('gives a consumer route to its namespace only', () => {
    const fromOther = router(snapshotFor(['gamma.yaml'], 'ledger'), 'outbound');
    assert.deepEqual(clusters(fromOther('echo.default:8080', '/api/x', { 'x-canary': 'yes' })), ['outbound|8080||echo-v1.default.svc.cluster.local']);
  });
});

describe('gateway routing', () => {
  it('serves the bookinfo paths and nothing else', () => {
    const route = router(snapshotFor(['gateway-bookinfo.yaml'], 'gateway'), 'gateway-8080');
    for (const path of ['/productpage', '/static/css/x.css', '/login', '/logout', '/api/v1/products/0']) {
      assert.deepEqual(clusters(route('bookinfo.example.com', path)), ['outbound|9080||productpage.default.svc.cluster.local'], path);
    }
    assert.equal(route('bookinfo.example.com', '/reviews'), undefined);
  });

  it('redirects plain HTTP to HTTPS and routes the merged VirtualServices over TLS', () => {
    const snapshot = snapshotFor(['gateway-tls.yaml'], 'gateway');
    const http = router(snapshot, 'gateway-8080')('bookinfo.example.com:8080', '/x');
    assert.equal(http?.redirectLocation(input('bookinfo.example.com:8080', '/x'), 'http'), 'https://bookinfo.example.com:8443/x');
    const https = router(snapshot, 'gateway-8443');
    assert.deepEqual(clusters(https('bookinfo.example.com', '/reviews/1')), ['outbound|9080||reviews.default.svc.cluster.local']);
    assert.deepEqual(clusters(https('bookinfo.example.com', '/')), ['outbound|9080||productpage.default.svc.cluster.local']);
    assert.equal(https('other.example.com', '/'), undefined);
    const api = router(snapshot, 'gateway-9443')('api.example.com', '/v1/details/0');
    assert.equal(api?.rewrite(input('api.example.com', '/v1/details/0')).path, '/details/0');
  });
});
