import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderList } from '../http/headers.js';
import { compileRouteConfig } from './compile.js';
import { RouteConfigError } from './errors.js';
import type { Route, RouteConfig } from '../../model/snapshot.js';
import type { RouteInput } from './types.js';

function req(authority: string, path: string, method = 'GET', headers: Record<string, string> = {}): RouteInput {
  return { authority, path, method, headers: HeaderList.fromRecord(headers) };
}
const to = (cluster: string, extra: Partial<Route> = {}): Route => ({ forward: { destinations: [{ cluster }] }, ...extra });

const mesh: RouteConfig = {
  name: 'outbound-http',
  virtualHosts: [
    {
      name: 'reviews',
      domains: ['reviews', 'reviews.default', 'reviews.default.svc.cluster.local'],
      routes: [
        { name: 'jason', match: { headers: [{ name: 'end-user', value: { exact: 'jason' } }] }, ...to('reviews-v2') },
        { match: { path: { prefix: '/admin' }, methods: ['POST', 'delete'] }, direct: { status: 403, body: 'no' } },
        { match: { path: { regex: '/reviews/[0-9]+' }, queryParams: [{ name: 'v', value: { exact: 'new one' } }] }, ...to('reviews-v3') },
        { match: { path: { regex: '/reviews/[0-9]+' } }, ...to('reviews-v1') },
        { match: { path: { prefix: '/' } }, ...to('reviews-default') },
      ],
    },
    { name: 'ratings-9080', domains: ['ratings:9080'], routes: [to('ratings-9080')] },
    { name: 'ratings', domains: ['ratings'], routes: [to('ratings')] },
    { name: 'wild', domains: ['*.example.com'], routes: [to('wild')] },
    { name: 'catch-all', domains: ['*'], routes: [{ match: { path: { exact: '/only' } }, ...to('fallback') }] },
  ],
};
const table = compileRouteConfig(mesh);
const cluster = (i: RouteInput) => {
  const r = table.match(i);
  return r === undefined ? undefined : r.kind === 'forward' ? r.pickDestination(0).cluster : r.kind;
};

test('the table keeps its name; virtual hosts chosen by authority', () => {
  assert.equal(table.name, 'outbound-http');
  assert.equal(cluster(req('Reviews.default:9080.', '/')), 'reviews-default');
  assert.equal(cluster(req('reviews.default.svc.cluster.local:9080', '/')), 'reviews-default');
  assert.equal(cluster(req('ratings:9080', '/')), 'ratings-9080');
  assert.equal(cluster(req('ratings:9999', '/')), 'ratings');
  assert.equal(cluster(req('shop.example.com', '/')), 'wild');
  assert.equal(cluster(req('unknown', '/only?x')), 'fallback');
});

test('no route in the chosen virtual host is no match, even if another host would match', () => {
  assert.equal(table.match(req('unknown', '/other')), undefined);
});

test('first matching route wins, in configuration order', () => {
  // jason's header beats every path route below it.
  assert.equal(cluster(req('reviews', '/reviews/1', 'GET', { 'End-User': 'jason' })), 'reviews-v2');
  assert.equal(cluster(req('reviews', '/reviews/1', 'GET', { 'end-user': 'bob' })), 'reviews-v1');
  assert.equal(cluster(req('reviews', '/reviews/1?v=new+one')), 'reviews-v3');
  assert.equal(cluster(req('reviews', '/reviews/1?v=new%20one&x=1')), 'reviews-v3');
  assert.equal(cluster(req('reviews', '/reviews/1?v=old')), 'reviews-v1');
  assert.equal(cluster(req('reviews', '/reviews/1/x')), 'reviews-default', 'regex anchored to the whole path');
});

test('methods: any of the listed, compared upper-case', () => {
  assert.equal(cluster(req('reviews', '/admin/x', 'POST')), 'direct');
  assert.equal(cluster(req('reviews', '/admin/x', 'DELETE')), 'direct');
  assert.equal(cluster(req('reviews', '/admin/x', 'GET')), 'reviews-default');
});

test('route names: given, or <vhost>/<index>', () => {
  assert.equal(table.match(req('reviews', '/', 'GET', { 'end-user': 'jason' }))?.name, 'jason');
  assert.equal(table.match(req('reviews', '/x'))?.name, 'reviews/4');
  assert.equal(table.match(req('reviews', '/x'))?.virtualHost, 'reviews');
  assert.equal(table.match(req('ratings', '/'))?.name, 'ratings/0');
});

test('all conditions of a route must hold together', () => {
  const t = compileRouteConfig({
    name: 'rc',
    virtualHosts: [
      {
        name: 'api',
        domains: ['*'],
        routes: [
          {
            name: 'all',
            match: {
              path: { prefix: '/api/' },
              methods: ['GET'],
              headers: [{ name: 'x-env', value: { exact: 'canary' } }, { name: 'x-block', present: false }],
              queryParams: [{ name: 'beta', present: true }],
            },
            ...to('canary'),
          },
        ],
      },
    ],
  });
  const ok = req('a', '/api/x?beta', 'GET', { 'x-env': 'canary' });
  assert.equal(t.match(ok)?.name, 'all');
  assert.equal(t.match({ ...ok, method: 'PUT' }), undefined);
  assert.equal(t.match({ ...ok, path: '/apx/x?beta' }), undefined);
  assert.equal(t.match({ ...ok, path: '/api/x' }), undefined);
  assert.equal(t.match(req('a', '/api/x?beta', 'GET', { 'x-env': 'prod' })), undefined);
  assert.equal(t.match(req('a', '/api/x?beta', 'GET', { 'x-env': 'canary', 'x-block': '1' })), undefined);
});

test('forward routes carry their settings; redirect and direct routes theirs', () => {
  const t = compileRouteConfig({
    name: 'rc',
    virtualHosts: [
      {
        name: 'h',
        domains: ['*'],
        routes: [
          {
            match: { path: { exact: '/fwd' } },
            forward: {
              destinations: [{ cluster: 'a', subset: 'v1', weight: 3 }, { cluster: 'b' }],
              timeoutMs: 1500,
              retry: { attempts: 2, retryOn: ['5xx'] },
              mirrors: [{ cluster: 'shadow', percent: 10 }],
            },
            fault: { abort: { httpStatus: 503, percent: 1 } },
            requestHeaders: { set: { 'X-Route': 'fwd' } },
            responseHeaders: { remove: ['server'] },
          },
          { match: { path: { exact: '/old' } }, redirect: { path: '/new', status: 308 } },
          { match: { path: { exact: '/gone' } }, direct: { status: 410, body: 'gone' } },
          { match: { path: { exact: '/plain' } }, ...to('p') },
        ],
      },
    ],
  });
  const fwd = t.match(req('x', '/fwd'));
  assert.ok(fwd);
  assert.equal(fwd.kind, 'forward');
  assert.deepEqual(
    fwd.destinations.map((d) => [d.cluster, d.subset, d.weight]),
    [
      ['a', 'v1', 3],
      ['b', undefined, 1],
    ],
  );
  assert.equal(fwd.pickDestination(0.74).cluster, 'a');
  assert.equal(fwd.pickDestination(0.76).cluster, 'b');
  assert.ok(['a', 'b'].includes(fwd.pickDestination().cluster), 'Math.random by default');
  assert.equal(fwd.timeoutMs, 1500);
  assert.deepEqual(fwd.retry, { attempts: 2, retryOn: ['5xx'] });
  assert.deepEqual(fwd.mirrors, [{ cluster: 'shadow', percent: 10 }]);
  assert.deepEqual(fwd.fault, { abort: { httpStatus: 503, percent: 1 } });
  assert.equal(fwd.hashPolicy, undefined);
  const h = new HeaderList();
  fwd.requestHeaders?.apply(h);
  assert.equal(h.get('x-route'), 'fwd');
  assert.ok(fwd.responseHeaders);
  assert.throws(() => fwd.redirectLocation(req('x', '/fwd'), 'http'), /not a redirect/);

  const redirect = t.match(req('x', '/old?a=1'));
  assert.equal(redirect?.kind, 'redirect');
  assert.equal(redirect?.redirect?.status, 308);
  assert.equal(redirect?.redirectLocation(req('x:8080', '/old?a=1'), 'http'), 'http://x:8080/new?a=1');
  assert.deepEqual(redirect?.destinations, []);
  assert.throws(() => redirect?.pickDestination(0), /no destinations/);

  const direct = t.match(req('x', '/gone'));
  assert.equal(direct?.kind, 'direct');
  assert.deepEqual(direct?.direct, { status: 410, body: 'gone' });

  const plain = t.match(req('x', '/plain'));
  assert.equal(plain?.timeoutMs, 0);
  assert.deepEqual(plain?.mirrors, []);
  assert.equal(plain?.retry, undefined);
  assert.equal(plain?.requestHeaders, undefined);
});

test('rewrites: prefix replaces the matched prefix; other matches replace the whole path; query kept', () => {
  const rw = (match: Route['match'], rewrite: NonNullable<Route['forward']>['rewrite']): Route => ({
    match,
    forward: { destinations: [{ cluster: 'c' }], rewrite },
  });
  const t = compileRouteConfig({
    name: 'rc',
    virtualHosts: [
      { name: 'prefix', domains: ['prefix'], routes: [rw({ path: { prefix: '/api/v1/' } }, { pathPrefix: '/v2/' })] },
      { name: 'prefix-ci', domains: ['prefix-ci'], routes: [rw({ path: { prefix: '/API/' }, ignoreCase: true }, { pathPrefix: '/' })] },
      { name: 'exact', domains: ['exact'], routes: [rw({ path: { exact: '/old' } }, { pathPrefix: '/new' })] },
      { name: 'regex', domains: ['regex'], routes: [rw({ path: { regex: '/u/[0-9]+' } }, { pathPrefix: '/user' })] },
      { name: 'none', domains: ['none'], routes: [rw(undefined, { pathPrefix: '/base' })] },
      { name: 'whole', domains: ['whole'], routes: [rw({ path: { prefix: '/a' } }, { path: '/fixed', authority: 'internal:8080' })] },
      { name: 'plain', domains: ['plain'], routes: [rw({ path: { prefix: '/' } }, undefined)] },
    ],
  });
  const apply = (authority: string, path: string) => {
    const i = req(authority, path);
    const r = t.match(i);
    assert.ok(r, `${authority}${path}`);
    return { ...r.rewrite(i), hasRewrite: r.hasRewrite };
  };
  assert.deepEqual(apply('prefix', '/api/v1/users?id=3'), { path: '/v2/users?id=3', authority: 'prefix', hasRewrite: true });
  assert.deepEqual(apply('prefix-ci', '/Api/x?q'), { path: '/x?q', authority: 'prefix-ci', hasRewrite: true });
  assert.deepEqual(apply('exact', '/old?x=1'), { path: '/new?x=1', authority: 'exact', hasRewrite: true });
  assert.deepEqual(apply('regex', '/u/42'), { path: '/user', authority: 'regex', hasRewrite: true });
  assert.deepEqual(apply('none', '/anything?z'), { path: '/base?z', authority: 'none', hasRewrite: true });
  assert.deepEqual(apply('whole', '/a/b/c?k=v'), { path: '/fixed?k=v', authority: 'internal:8080', hasRewrite: true });
  assert.deepEqual(apply('plain', '/same?q'), { path: '/same?q', authority: 'plain', hasRewrite: false });
});

test('redirect with pathPrefix uses the route prefix', () => {
  const t = compileRouteConfig({
    name: 'rc',
    virtualHosts: [
      { name: 'h', domains: ['*'], routes: [{ match: { path: { prefix: '/docs/' } }, redirect: { scheme: 'https', pathPrefix: '/manual/' } }] },
    ],
  });
  const i = req('site.test', '/docs/intro?lang=en');
  assert.equal(t.match(i)?.redirectLocation(i, 'http'), 'https://site.test/manual/intro?lang=en');
});

test('a virtual host with no routes matches nothing', () => {
  const t = compileRouteConfig({ name: 'rc', virtualHosts: [{ name: 'h', domains: ['*'], routes: [] }] });
  assert.equal(t.match(req('x', '/')), undefined);
  assert.equal(compileRouteConfig({ name: 'empty', virtualHosts: [] }).match(req('x', '/')), undefined);
});

test('compile errors name the route config and the field', () => {
  const bad = (routes: Route[], domains = ['*']): RouteConfig => ({ name: 'rc1', virtualHosts: [{ name: 'h', domains, routes }] });
  const expectError = (rc: RouteConfig, path: string, reason: RegExp) =>
    assert.throws(
      () => compileRouteConfig(rc),
      (e: unknown) => e instanceof RouteConfigError && e.routeConfig === 'rc1' && e.path === path && reason.test(e.reason) && e.message.startsWith('route config "rc1": '),
    );
  expectError(bad([to('a'), { match: { path: { regex: '([' } }, ...to('b') }]), 'virtualHosts[0].routes[1].match.path.regex', /invalid regex/);
  expectError(bad([{ match: {} }]), 'virtualHosts[0].routes[0]', /exactly one of forward, redirect, direct \(found 0\)/);
  expectError(bad([{ ...to('a'), direct: { status: 200 } }]), 'virtualHosts[0].routes[0]', /found 2/);
  expectError(bad([{ forward: { destinations: [] } }]), 'virtualHosts[0].routes[0].forward.destinations', /at least one/);
  expectError(bad([to('a', { requestHeaders: { set: { 'a b': '1' } } })]), 'virtualHosts[0].routes[0].requestHeaders.set', /not a valid HTTP field name/);
  expectError(bad([to('a')], ['x', 'X.']), 'virtualHosts[0].domains[1]', /already used/);
  expectError(
    bad([{ match: { headers: [{ name: 'x', value: { regex: 'a(?=b)' } }] }, ...to('a') }]),
    'virtualHosts[0].routes[0].match.headers[0].value.regex',
    /lookahead/,
  );
  expectError(
    bad([{ forward: { destinations: [{ cluster: 'a', responseHeaders: { add: { x: 'a\nb' } } }] } }]),
    'virtualHosts[0].routes[0].forward.destinations[0].responseHeaders.add.x',
    /CR, LF/,
  );
});

test('matching is stable: the same compiled route object every time', () => {
  // The same input matched many times gives the same route object (nothing rebuilt per call).
  const i = req('reviews:9080', '/reviews/7?v=new%20one');
  const first = table.match(i);
  for (let k = 0; k < 1000; k++) assert.equal(table.match(i), first);
});
