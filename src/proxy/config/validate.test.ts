import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Snapshot } from '../../model/snapshot.js';
import { compileRouteConfig } from '../router/compile.js';
import { fullSnapshot } from './fixtures.js';
import { ConfigError, validateSnapshot } from './validate.js';

/** The lines validateSnapshot rejects `value` with (fails if it accepts it). */
function problems(value: unknown): string[] {
  try {
    validateSnapshot(value, 'proxy.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'MAILLE_ERR_CONFIG');
    assert.equal(err.message, err.problems.join('\n'));
    return [...err.problems];
  }
  assert.fail('expected the snapshot to be rejected');
}

/** The full fixture with one edit. */
function edited(edit: (s: Snapshot) => void): Snapshot {
  const s = fullSnapshot();
  edit(s);
  return s;
}

const R = 'proxy.yaml: routeConfigs[0].virtualHosts[0].routes[0]';
const rc = (s: Snapshot) => s.routeConfigs![0].virtualHosts[0].routes[0];

describe('validateSnapshot: accepts', () => {
  it('the full snapshot, returned as given', () => {
    const s = fullSnapshot();
    assert.equal(validateSnapshot(s, 'proxy.yaml'), s);
  });

  it('only what the router compiles (the full snapshot does)', () => {
    for (const rc of fullSnapshot().routeConfigs ?? []) assert.doesNotThrow(() => compileRouteConfig(rc));
  });

  it('a minimal snapshot', () => {
    assert.doesNotThrow(() => validateSnapshot({ version: '1', listeners: [] }, 'x.json'));
  });

  it('two listeners on port 0 at one address', () => {
    const s = edited((s) => s.listeners.push({ name: 'db2', port: 0, protocol: 'tcp', tcpCluster: 'passthrough' }));
    assert.doesNotThrow(() => validateSnapshot(s, 'proxy.yaml'));
  });
});

describe('validateSnapshot: schema problems', () => {
  it('a value that is not an object', () => {
    assert.deepEqual(problems('hello'), ['proxy.yaml: must be an object (got "hello")']);
  });

  it('enum values list what is allowed', () => {
    const s = edited((s) => ((s.clusters![0].loadBalancer as { policy: string }).policy = 'rr'));
    assert.deepEqual(problems(s), [
      'proxy.yaml: clusters[0].loadBalancer.policy: must be one of round_robin, least_request, random, consistent_hash (got "rr")',
    ]);
  });

  it('unknown fields, named by path', () => {
    const s = edited((s) => Object.assign(s.routeConfigs![0].virtualHosts[0].routes[2], { forwrd: {} }));
    assert.deepEqual(problems(s), ['proxy.yaml: routeConfigs[0].virtualHosts[0].routes[2].forwrd: unknown field']);
  });

  it('missing required fields and out-of-range numbers, all of them', () => {
    const s = edited((s) => {
      s.listeners[1] = { port: 70000 } as Snapshot['listeners'][number];
      s.listeners[2].port = -1;
    });
    assert.deepEqual(problems(s), [
      'proxy.yaml: listeners[1].name: is required (a non-empty string)',
      'proxy.yaml: listeners[1].port: must be an integer from 0 to 65535 (got 70000)',
      'proxy.yaml: listeners[2].port: must be an integer from 0 to 65535 (got -1)',
    ]);
  });

  it('wrong types', () => {
    const s = edited((s) => {
      (s as { version: unknown }).version = 3;
      (s.clusters![0].endpoints[0] as { port: unknown }).port = '9081';
      (s.routeConfigs![0].virtualHosts[0] as { domains: unknown }).domains = [];
    });
    assert.deepEqual(problems(s), [
      'proxy.yaml: version: must be a non-empty string (got 3)',
      'proxy.yaml: routeConfigs[0].virtualHosts[0].domains: must be a non-empty list (got [])',
      'proxy.yaml: clusters[0].endpoints[0].port: must be an integer from 1 to 65535 (got "9081")',
    ]);
  });

  it('string matches need exactly one of their keys', () => {
    const s = edited((s) => {
      const m = rc(s).match!;
      (m as { path: unknown }).path = {};
      (m.headers![0] as { value: unknown }).value = { exact: 'yes', prefix: 'y' };
      (m.headers![1] as { value: unknown }).value = 'yes';
    });
    assert.deepEqual(problems(s), [
      `${R}.match.path: must have exactly one of exact, prefix, suffix, regex (got none)`,
      `${R}.match.headers[0].value: must have exactly one of exact, prefix, suffix, regex (got exact, prefix)`,
      `${R}.match.headers[1].value: must be an object with exactly one of exact, prefix, suffix, regex (got "yes")`,
    ]);
  });

  it('a string match naming one key reports inside that key', () => {
    const s = edited((s) => {
      (rc(s).match as { path: unknown }).path = { regex: 5 };
      (rc(s).match!.headers![0] as { value: unknown }).value = { exact: 'yes', ignoreCase: true };
    });
    assert.deepEqual(problems(s), [
      `${R}.match.path.regex: must be a string (got 5)`,
      `${R}.match.headers[0].value.ignoreCase: unknown field`,
    ]);
  });

  it('hash policies and literal unions of numbers', () => {
    const s = edited((s) => {
      (s.clusters![0].loadBalancer as { hash: unknown }).hash = { sourceIp: false };
      (s.routeConfigs![0].virtualHosts[0].routes[1].redirect as { status: unknown }).status = 300;
    });
    assert.deepEqual(problems(s), [
      'proxy.yaml: routeConfigs[0].virtualHosts[0].routes[1].redirect.status: must be one of 301, 302, 303, 307, 308 (got 300)',
      'proxy.yaml: clusters[0].loadBalancer.hash.sourceIp: must be true (got false)',
    ]);
  });

  it('map keys that are not identifiers are quoted', () => {
    const s = edited((s) => ((rc(s).responseHeaders!.set as Record<string, unknown>)['cache-control'] = 5));
    assert.deepEqual(problems(s), [`${R}.responseHeaders.set["cache-control"]: must be a string (got 5)`]);
  });
});

describe('validateSnapshot: rules between fields', () => {
  it('a route has exactly one action', () => {
    const s = edited((s) => {
      const routes = s.routeConfigs![0].virtualHosts[0].routes;
      routes[1].direct = { status: 200 };
      delete routes[2].direct;
    });
    assert.deepEqual(problems(s), [
      'proxy.yaml: routeConfigs[0].virtualHosts[0].routes[1]: must have exactly one of forward, redirect, direct (got redirect, direct)',
      'proxy.yaml: routeConfigs[0].virtualHosts[0].routes[2]: must have exactly one of forward, redirect, direct (got none)',
    ]);
  });

  it('destinations and mirrors name existing clusters and subsets', () => {
    const s = edited((s) => {
      const fwd = rc(s).forward!;
      fwd.destinations[0].cluster = 'reviewz';
      fwd.destinations[1].subset = 'v3';
      fwd.mirrors![0].cluster = 'local-app';
    });
    assert.deepEqual(problems(s), [
      `${R}.forward.destinations[0].cluster: no cluster named "reviewz" (clusters: reviews, local-app, passthrough)`,
      `${R}.forward.destinations[1].subset: cluster "reviews" has no subset "v3" (subsets: v1, v2)`,
      `${R}.forward.mirrors[0].subset: cluster "local-app" has no subset "v2" (it defines no subsets)`,
    ]);
  });

  it('listeners name existing route configs and clusters, as their protocol needs', () => {
    const s = edited((s) => {
      s.listeners[0].routeConfig = 'nope';
      s.listeners[1].tcpCluster = 'passthrough';
      delete s.listeners[2].tcpCluster;
      s.listeners.push({ name: 'plain', port: 15002 });
      s.listeners.push({ name: 'odd', port: 15003, protocol: 'tcp', tcpCluster: 'gone', routeConfig: 'inbound-routes' });
    });
    assert.deepEqual(problems(s), [
      'proxy.yaml: listeners[0].routeConfig: no route config named "nope" (route configs: outbound-routes, inbound-routes)',
      'proxy.yaml: listeners[1].tcpCluster: is not allowed when protocol is http2 (only tcp and detect)',
      'proxy.yaml: listeners[2].tcpCluster: is required when protocol is tcp',
      'proxy.yaml: listeners[3].routeConfig: is required when protocol is detect (the default)',
      'proxy.yaml: listeners[4].tcpCluster: no cluster named "gone" (clusters: reviews, local-app, passthrough)',
      'proxy.yaml: listeners[4].routeConfig: is not allowed when protocol is tcp (only http1, http2 and detect route HTTP)',
    ]);
  });

  it('names are unique and listeners do not share an address and port', () => {
    const s = edited((s) => {
      s.listeners.push({ name: 'outbound', address: '127.0.0.1', port: 15006, protocol: 'tcp', tcpCluster: 'passthrough' });
      s.routeConfigs!.push({ name: 'inbound-routes', virtualHosts: [] });
      s.clusters!.push({ name: 'reviews', endpoints: [] });
    });
    assert.deepEqual(problems(s), [
      'proxy.yaml: listeners[3].name: duplicate listener name "outbound" (first at listeners[0])',
      'proxy.yaml: listeners[3].port: 127.0.0.1:15006 is already used by listeners[1] ("inbound")',
      'proxy.yaml: routeConfigs[2].name: duplicate route config name "inbound-routes" (first at routeConfigs[1])',
      'proxy.yaml: clusters[3].name: duplicate cluster name "reviews" (first at clusters[0])',
    ]);
  });

  it('regexes compile as the router compiles them', () => {
    const s = edited((s) => {
      rc(s).match!.path = { regex: '(' };
      rc(s).match!.queryParams![0].value = { regex: '[z-a]' };
      rc(s).match!.headers![0].value = { regex: '(?i)(a)\\1' };
      rc(s).match!.headers![1].value = { regex: '(?i)x(?P<n>y)' }; // RE2 spellings are fine
      rc(s).match!.headers![2] = { name: 'x-debug', value: { regex: 'a(?=b)' } };
    });
    assert.deepEqual(problems(s), [
      `${R}.match.path.regex: not a valid regular expression: Unterminated group (got "(")`,
      `${R}.match.headers[0].value.regex: backreferences are not supported (RE2 syntax) (got "(?i)(a)\\\\1")`,
      `${R}.match.headers[2].value.regex: lookahead/lookbehind is not supported (RE2 syntax) (got "a(?=b)")`,
      `${R}.match.queryParams[0].value.regex: not a valid regular expression: Range out of order in character class (got "[z-a]")`,
    ]);
  });

  it('present: false excludes a value', () => {
    const s = edited((s) => {
      rc(s).match!.headers![2].value = { exact: 'x' };
      rc(s).match!.queryParams![0].present = false;
    });
    assert.deepEqual(problems(s), [
      `${R}.match.headers[2]: present: false cannot be combined with value (use invert to negate a value match)`,
      `${R}.match.queryParams[0]: present: false cannot be combined with value`,
    ]);
  });

  it('consistent_hash needs a hash, and only it takes one', () => {
    const s = edited((s) => {
      delete s.clusters![0].loadBalancer!.hash;
      s.clusters![1].loadBalancer!.hash = { cookie: 'session' };
    });
    assert.deepEqual(problems(s), [
      'proxy.yaml: clusters[0].loadBalancer.hash: is required when policy is consistent_hash',
      'proxy.yaml: clusters[1].loadBalancer.hash: is only allowed when policy is consistent_hash (policy is least_request)',
    ]);
  });

  it('a fault abort says what to answer', () => {
    const s = edited((s) => (rc(s).fault!.abort = { percent: 10 }));
    assert.deepEqual(problems(s), [`${R}.fault.abort: needs httpStatus or grpcStatus`]);
  });

  it('header names are tokens and values have no line breaks', () => {
    const s = edited((s) => {
      rc(s).match!.headers![0].name = 'x canary';
      rc(s).match!.headers![1].name = ':authority';
      rc(s).requestHeaders = { add: { 'x-a': 'one\r\ntwo' }, remove: ['x:internal'] };
      s.clusters![0].loadBalancer!.hash = { header: 'x user' };
    });
    const token = "letters, digits and !#$%&'*+-.^_`|~ only";
    assert.deepEqual(problems(s), [
      `${R}.match.headers[0].name: not a valid header name (${token}) (got "x canary")`,
      `${R}.match.headers[1].name: not a valid header name (pseudo-headers cannot be used here: match the authority with virtual host domains, :path with match.path, :method with match.methods) (got ":authority")`,
      `${R}.requestHeaders.add["x-a"]: header value must not contain CR, LF or NUL`,
      `${R}.requestHeaders.remove[0]: not a valid header name (${token}) (got "x:internal")`,
      `proxy.yaml: clusters[0].loadBalancer.hash.header: not a valid header name (${token}) (got "x user")`,
    ]);
  });

  it('smaller rules: methods, weights, retryOn, backoff, duplicate domains', () => {
    const s = edited((s) => {
      const r = rc(s);
      r.match!.methods = ['get', 'GET /'];
      r.forward!.destinations.forEach((d) => (d.weight = 0));
      r.forward!.retry!.retryOn = ['5xx', '5xxx', '503'];
      r.forward!.retry!.backoff = { baseMs: 100, maxMs: 10 };
      // a port makes a different domain; case and a trailing dot do not
      s.routeConfigs![0].virtualHosts.push({ name: 'again', domains: ['Reviews.', 'reviews:9080', 'a*b'], routes: [] });
    });
    const R0 = 'proxy.yaml: routeConfigs[0]';
    assert.deepEqual(problems(s), [
      `${R}.match.methods[1]: must be a method name such as GET (got "GET /")`,
      `${R}.forward.destinations: at least one destination must have a weight above 0`,
      `${R}.forward.retry.retryOn[1]: must be one of 5xx, gateway-error, reset, connect-failure, refused-stream, retriable-status-codes, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable, or a status code such as 503 (got "5xxx")`,
      `${R}.forward.retry.backoff.maxMs: must be >= baseMs (100) (got 10)`,
      `${R0}.virtualHosts[1].domains[0]: domain "Reviews." is already used by ${R0.slice('proxy.yaml: '.length)}.virtualHosts[0]`,
      `${R0}.virtualHosts[1].domains[2]: a wildcard is allowed only as the first or last character, or alone (got "a*b")`,
    ]);
  });
});
