// A control plane that comes back still knows the bootstrap tokens its launcher handed out, so
// real sidecar processes get certificates again: those whose certificate expired while it was
// away (short-lived SVIDs, control plane down longer than their lifetime), and one restarted
// afterwards from the token file beside it, as the supervisor of `maille run` restarts a sidecar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../src/control-plane/control-plane.js';
import { MemoryRegistry } from '../../src/control-plane/registry/index.js';
import { startUpstream } from '../support/upstream.js';
import { freePort, outboundGetter, sidecar, type Sidecar } from '../support/mesh.js';
import { spawnSidecar } from '../support/sidecar-process.js';

const SVID_TTL_MS = 4_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('sidecars get certificates from a restarted control plane with the tokens they were given before', async () => {
  const app = await startUpstream('reviews');
  const stateDir = mkdtempSync(join(tmpdir(), 'maille-bootstrap-restart-'));
  const dir = mkdtempSync(join(tmpdir(), 'maille-bootstrap-restart-files-'));
  const registry = new MemoryRegistry();
  registry.upsertService({ name: 'reviews', ports: [{ port: 9080 }] });
  registry.upsertService({ name: 'client', ports: [{ port: 8080 }] });
  const start = (port: number): Promise<ControlPlane> =>
    startControlPlane({ stateDir, trustDomain: 'cluster.local', rootNamespace: 'istio-system', port, resources: [], registry, svidTtlMs: SVID_TTL_MS });
  let cp = await start(0);
  const cpPort = cp.port;
  const bundleFile = join(stateDir, 'ca', 'trust-bundle.pem');
  const server = await sidecar('reviews', app.port);
  const client = await sidecar('client', await freePort());
  const tokenFile = (s: Sidecar): string => join(dir, `${s.node.id}.token`);
  const children = new Map<string, ChildProcess>();
  const { get, close } = outboundGetter(client.ports.outbound, 'http://reviews:9080/x');
  const flowing = async (what: string): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while ((await get()) !== 200) {
      if (Date.now() > deadline) assert.fail(`${what}: no request got through within 30 s`);
      await sleep(200);
    }
    // Then every request: a burst of 20 in a row.
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push(await get());
    assert.deepEqual(statuses.filter((s) => s !== 200), [], `${what}: every request after the first success`);
  };
  const serialOf = (s: Sidecar): string | undefined => cp.proxyConfig(s.node.id)?.certificate?.serialNumber;
  try {
    // The launcher's part: a token per sidecar, in a file beside it.
    for (const s of [server, client]) {
      writeFileSync(tokenFile(s), cp.expect(s.expected, s.node.id), { mode: 0o600 });
      children.set(s.node.id, await spawnSidecar(dir, cpPort, bundleFile, s, tokenFile(s)));
    }
    await flowing('first start');
    const before = new Map([server, client].map((s) => [s.node.id, serialOf(s)]));

    // The control plane is away longer than a certificate lives: every SVID the sidecars hold
    // expires, so only their bootstrap tokens can get them new ones.
    await cp.close();
    await sleep(SVID_TTL_MS + 2_000);
    cp = await start(cpPort);
    const restartedAt = Date.now();
    // Before anyone registers them again, the restarted control plane accepts their tokens (kept,
    // hashed, in the state directory): they get certificates and open their streams (connected,
    // nothing to send them yet). Their expired certificates could not have opened one.
    const connected = Date.now() + 30_000;
    const ids = () => cp.status().map((p) => p.nodeId).sort();
    while (ids().length < 2 && Date.now() < connected) await sleep(100);
    assert.deepEqual(ids(), ['client-v1-0', 'reviews-v1-0'], 'both sidecars got a certificate with their token and connected');
    // A restarted launcher registers its proxies again with the tokens it kept (src/local/run-mesh.ts).
    for (const s of [server, client]) cp.expect(s.expected, s.node.id, readFileSync(tokenFile(s), 'utf8'));
    // Back on the stream, which takes a valid certificate: one got with the token.
    const resynced = Date.now() + 30_000;
    while (cp.status().filter((p) => p.state === 'synced').length < 2 && Date.now() < resynced) await sleep(100);
    assert.equal(cp.status().filter((p) => p.state === 'synced').length, 2, 'both sidecars reconnected and ACKed');
    await flowing('after the control plane came back');
    for (const s of [server, client]) {
      const issued = cp.proxyConfig(s.node.id)?.certificate;
      assert.ok(issued, `${s.node.id} got a certificate from the restarted control plane`);
      assert.notEqual(issued.serialNumber, before.get(s.node.id));
      assert.ok(Date.parse(issued.issuedAt) >= restartedAt - 1000, `${s.node.id}: issued at ${issued.issuedAt}, after the restart`);
    }

    // A sidecar restarted now (its supervisor would) starts with no certificate: the token file.
    const old = children.get(client.node.id)!;
    const exited = new Promise((r) => old.once('exit', r));
    old.kill('SIGKILL');
    await exited;
    const serialBefore = serialOf(client);
    children.set(client.node.id, await spawnSidecar(dir, cpPort, bundleFile, client, tokenFile(client)));
    await flowing('after the client sidecar restarted');
    assert.notEqual(serialOf(client), serialBefore, 'the restarted sidecar got its own certificate');
  } finally {
    close();
    for (const child of children.values()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
      }
    }
    await cp.close();
    await app.close();
  }
});
