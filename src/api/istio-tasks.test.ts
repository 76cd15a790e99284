// Istio's task YAML and the GAMMA guide's routes, pasted as users would: they must validate
// unchanged and come out as the typed resources translate will read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from './duration.js';
import {
  DEMO_MESH,
  HTTPBIN_CIRCUIT_BREAKER,
  KUBECTL_EXPORT,
  MESH_STRICT_MTLS,
  RATINGS_ABORT,
  RATINGS_DELAY,
  REVIEWS_50_50,
  REVIEWS_GAMMA_HTTPROUTE,
  REVIEWS_JASON,
  REVIEWS_TIMEOUT,
  TASK_YAML,
} from './fixtures.js';
import type { Resource } from './kinds.js';
import { parseResources } from './load.js';

/** The only resource of `yaml`, narrowed to `kind`. */
function only<K extends Resource['kind']>(yaml: string, kind: K): Extract<Resource, { kind: K }> {
  const resources = parseResources(yaml, 'task.yaml');
  assert.equal(resources.length, 1);
  const [r] = resources;
  assert.equal(r.kind, kind);
  return r as Extract<Resource, { kind: K }>;
}

describe('task YAML validates unchanged', () => {
  for (const [name, yaml] of Object.entries(TASK_YAML)) {
    it(name, () => assert.doesNotThrow(() => parseResources(yaml, 'task.yaml')));
  }
});

describe('task YAML reads as typed resources', () => {
  it('request routing: the header match and both routes', () => {
    const vs = only(REVIEWS_JASON, 'VirtualService');
    assert.equal(vs.apiVersion, 'networking.istio.io/v1');
    assert.deepEqual(vs.metadata, { name: 'reviews', namespace: 'default' });
    assert.deepEqual(vs.spec.hosts, ['reviews']);
    const [jason, rest] = vs.spec.http ?? [];
    assert.deepEqual(jason.match?.[0].headers, { 'end-user': { exact: 'jason' } });
    assert.deepEqual(jason.route?.[0].destination, { host: 'reviews', subset: 'v2' });
    assert.deepEqual(rest.route?.[0].destination, { host: 'reviews', subset: 'v1' });
  });

  it('traffic shifting: weights as written, apiVersion as written', () => {
    const vs = only(REVIEWS_50_50, 'VirtualService');
    assert.equal(vs.apiVersion, 'networking.istio.io/v1beta1');
    assert.deepEqual(
      vs.spec.http?.[0].route?.map((r) => [r.destination.subset, r.weight]),
      [
        ['v1', 50],
        ['v3', 50],
      ],
    );
  });

  it('fault injection: delay and abort', () => {
    const delay = only(RATINGS_DELAY, 'VirtualService').spec.http?.[0].fault?.delay;
    assert.deepEqual(delay, { percentage: { value: 100 }, fixedDelay: '7s' });
    assert.equal(parseDuration(delay?.fixedDelay ?? ''), 7000);
    const abort = only(RATINGS_ABORT, 'VirtualService').spec.http?.[0].fault?.abort;
    assert.deepEqual(abort, { percentage: { value: 100 }, httpStatus: 500 });
  });

  it('request timeouts: 0.5s is 500 ms', () => {
    const [, reviews] = parseResources(REVIEWS_TIMEOUT, 'task.yaml');
    assert.equal(reviews.kind, 'VirtualService');
    assert.equal(reviews.kind === 'VirtualService' && parseDuration(reviews.spec.http?.[0].timeout ?? ''), 500);
  });

  it('circuit breaking: connection pool and outlier detection', () => {
    const tp = only(HTTPBIN_CIRCUIT_BREAKER, 'DestinationRule').spec.trafficPolicy;
    assert.deepEqual(tp?.connectionPool, { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } });
    assert.deepEqual(tp?.outlierDetection, { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 });
  });

  it('mesh-wide mTLS keeps its namespace', () => {
    const pa = only(MESH_STRICT_MTLS, 'PeerAuthentication');
    assert.deepEqual(pa.metadata, { name: 'default', namespace: 'istio-system' });
    assert.equal(pa.spec.mtls?.mode, 'STRICT');
  });

  it('GAMMA route: a Service parent and weighted backends', () => {
    const route = only(REVIEWS_GAMMA_HTTPROUTE, 'HTTPRoute');
    assert.deepEqual(route.spec.parentRefs, [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }]);
    assert.deepEqual(
      route.spec.rules?.[1].backendRefs?.map((b) => [b.name, b.weight]),
      [
        ['reviews-v1', 90],
        ['reviews-v2', 10],
      ],
    );
  });

  it('kubectl export: server-written metadata tolerated, status dropped', () => {
    const vs = only(KUBECTL_EXPORT, 'VirtualService');
    assert.equal('status' in vs, false);
    assert.equal(vs.metadata.name, 'reviews');
    assert.equal(vs.metadata.resourceVersion, '12345');
  });

  it('mesh file: services and workloads', () => {
    const mesh = only(DEMO_MESH, 'Mesh');
    assert.deepEqual(
      mesh.spec.services.map((s) => [s.name, s.port, s.workloads?.length]),
      [
        ['reviews', 9080, 2],
        ['ratings', 9080, 1],
      ],
    );
  });
});
