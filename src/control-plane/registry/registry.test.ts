import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateResource } from '../../api/load.js';
import type { Mesh } from '../../api/mesh.js';
import { MemoryRegistry, serviceHostnames, servicesFromMesh, type RegistrySnapshot } from './index.js';

const reviewsV1 = { id: 'reviews-v1-0', service: 'reviews', labels: { version: 'v1' }, address: '127.0.0.1', inboundPort: 15106, appPort: 9081 };

describe('service host names', () => {
  it('lists the short, namespaced, svc and fully qualified names', () => {
    assert.deepEqual(serviceHostnames('reviews', 'default'), ['reviews', 'reviews.default', 'reviews.default.svc', 'reviews.default.svc.cluster.local']);
    assert.deepEqual(serviceHostnames('db', 'prod', 'example.internal').at(-1), 'db.prod.svc.example.internal');
  });
});

describe('MemoryRegistry', () => {
  it('fills defaults the way the mesh file does', () => {
    const r = new MemoryRegistry();
    r.upsertService({ name: 'reviews', ports: [{ port: 9080, protocol: 'http' }] });
    r.registerWorkload(reviewsV1);
    const { services, workloads } = r.list();
    assert.deepEqual(services, [
      {
        name: 'reviews',
        namespace: 'default',
        ports: [{ port: 9080, protocol: 'http' }],
        hostnames: ['reviews', 'reviews.default', 'reviews.default.svc', 'reviews.default.svc.cluster.local'],
      },
    ]);
    assert.deepEqual(workloads, [
      {
        id: 'reviews-v1-0',
        service: 'reviews',
        namespace: 'default',
        serviceAccount: 'reviews',
        labels: { app: 'reviews', version: 'v1' },
        address: '127.0.0.1',
        inboundPort: 15106,
        appPort: 9081,
        healthy: true,
      },
    ]);
  });

  it('keeps snapshots sorted, frozen and identical until something changes', () => {
    const r = new MemoryRegistry();
    r.registerWorkload({ ...reviewsV1, id: 'b' });
    r.registerWorkload({ ...reviewsV1, id: 'a' });
    r.upsertService({ name: 'z', namespace: 'a', ports: [{ port: 2 }, { port: 1 }] });
    r.upsertService({ name: 'a', namespace: 'b', ports: [{ port: 1 }] });
    const snap = r.list();
    assert.equal(r.list(), snap);
    assert.deepEqual(snap.workloads.map((w) => w.id), ['a', 'b']);
    assert.deepEqual(snap.services.map((s) => `${s.namespace}/${s.name}`), ['a/z', 'b/a']);
    assert.deepEqual(snap.services[0].ports.map((p) => p.port), [1, 2]);
    assert.ok(Object.isFrozen(snap) && Object.isFrozen(snap.workloads) && Object.isFrozen(snap.workloads[0].labels));
  });

  it('notifies every listener once per real change, and not for a no-op re-registration', () => {
    const r = new MemoryRegistry();
    const seen: RegistrySnapshot[] = [];
    const stop = r.onChange(() => seen.push(r.list()));
    r.registerWorkload(reviewsV1);
    r.registerWorkload(reviewsV1); // a proxy reconnecting with the same data
    assert.equal(seen.length, 1);
    assert.equal(r.setWorkloadHealth('reviews-v1-0', false), true);
    assert.equal(r.setWorkloadHealth('reviews-v1-0', false), false);
    assert.equal(seen.at(-1)?.workloads[0].healthy, false);
    assert.equal(r.deregisterWorkload('reviews-v1-0'), true);
    assert.equal(r.deregisterWorkload('reviews-v1-0'), false);
    assert.equal(seen.length, 3);
    assert.deepEqual(seen.at(-1)?.workloads, []);
    stop();
    r.registerWorkload(reviewsV1);
    assert.equal(seen.length, 3);
  });

  it('tells every listener even when one throws, then surfaces the error', () => {
    const r = new MemoryRegistry();
    let second = 0;
    r.onChange(() => {
      throw new Error('listener bug');
    });
    r.onChange(() => second++);
    assert.throws(() => r.upsertService({ name: 'a', ports: [] }), /listener bug/);
    assert.equal(second, 1);
    assert.equal(r.list().services.length, 1);
  });

  it('refuses invalid data with the field named', () => {
    const r = new MemoryRegistry();
    assert.throws(() => r.registerWorkload({ ...reviewsV1, inboundPort: 0 }), /workload reviews-v1-0 inboundPort must be an integer from 1 to 65535 \(got 0\)/);
    assert.throws(() => r.registerWorkload({ ...reviewsV1, id: '' }), /workload id must be a non-empty string/);
    assert.throws(() => r.upsertService({ name: 'a', ports: [{ port: 80 }, { port: 80 }] }), /service default\/a: port 80 is listed twice/);
    assert.deepEqual(r.list().workloads, []);
  });
});

describe('servicesFromMesh', () => {
  it('turns the services of a mesh file into registry definitions', () => {
    const mesh = validateResource(
      {
        apiVersion: 'maille.dev/v1alpha1',
        kind: 'Mesh',
        metadata: { name: 'demo' },
        spec: {
          services: [
            { name: 'reviews', port: 9080, protocol: 'http', workloads: [{ version: 'v1', command: 'node reviews.js' }] },
            { name: 'db', namespace: 'data', port: 5432 },
          ],
        },
      },
      { file: 'mesh.yaml', docIndex: 0 },
    ) as Mesh;
    assert.deepEqual(servicesFromMesh(mesh), [
      { name: 'reviews', namespace: 'default', ports: [{ port: 9080, protocol: 'http' }] },
      { name: 'db', namespace: 'data', ports: [{ port: 5432 }] },
    ]);
  });
});
