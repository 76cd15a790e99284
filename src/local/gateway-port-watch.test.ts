import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { localGateways } from './gateways.js';
import { watchGatewayPorts, type UnboundListener } from './gateway-port-watch.js';

/** A stand-in for the gateway's admin: /config_dump with whatever `unbound` holds now. */
async function fakeAdmin(): Promise<{ server: Server; port: number; set(u: UnboundListener[] | undefined): void }> {
  let unbound: UnboundListener[] | undefined;
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ version: 3, snapshot: { listeners: [] }, ...(unbound ? { unboundListeners: unbound } : {}) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, set: (u) => (unbound = u) };
}

const [gateway] = localGateways({ apiVersion: 'maille.dev/v1alpha1', kind: 'Mesh', metadata: { name: 'm', namespace: 'default' }, spec: { services: [], gateways: [{ name: 'ingressgateway' }] } });
const taken: UnboundListener = { name: 'gw-9000', address: '127.0.0.1', port: 9000, error: 'listener gw-9000: 127.0.0.1:9000 is already in use; choose another port' };

describe('gateway port watch', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('says once that a port is taken, reports it, and says when it is listened on after all', async () => {
    const admin = await fakeAdmin();
    servers.push(admin.server);
    const out: string[] = [];
    const reports: [string, readonly string[]][] = [];
    const watch = watchGatewayPorts({
      gateways: [{ gateway, admin: admin.port }],
      describe: (gw, l) => `port ${l.port} of ${gw.id} is taken`,
      out: (l) => out.push(l),
      report: (id, lines) => reports.push([id, lines]),
      intervalMs: 60_000,
    });
    try {
      await watch.check();
      assert.deepEqual([out, reports], [[], []], 'nothing to say while every listener is bound');
      admin.set([taken]);
      await watch.check();
      await watch.check();
      assert.deepEqual(out, ['warning: port 9000 of ingressgateway.istio-system is taken']);
      assert.deepEqual(reports, [['ingressgateway.istio-system', ['port 9000 of ingressgateway.istio-system is taken']]]);
      admin.set(undefined);
      await watch.check();
      assert.equal(out[1], 'gateway ingressgateway.istio-system: listening on 127.0.0.1:9000 now, or no longer asked to');
      assert.deepEqual(reports[1], ['ingressgateway.istio-system', []]);
    } finally {
      watch.stop();
    }
  });

  it('leaves what it said alone while the gateway does not answer (restarting)', async () => {
    const admin = await fakeAdmin();
    admin.set([taken]);
    const out: string[] = [];
    const reports: (readonly string[])[] = [];
    const watch = watchGatewayPorts({ gateways: [{ gateway, admin: admin.port }], describe: () => 'taken', out: (l) => out.push(l), report: (_id, l) => reports.push(l), intervalMs: 60_000 });
    try {
      await watch.check();
      await new Promise<void>((r) => admin.server.close(() => r()));
      await watch.check();
      assert.deepEqual(out, ['warning: taken']);
      assert.deepEqual(reports, [['taken']]);
    } finally {
      watch.stop();
    }
  });
});
