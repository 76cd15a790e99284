// The wiring of `maille proxy`: config → startProxy → printed ports → reloads → drain. The data
// plane itself is replaced by a recording double here (its own tests run it on real sockets);
// cli.test.ts runs the whole thing as a real process.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Snapshot } from '../../model/snapshot.js';
import type { ProxyHandle, ProxyOptions } from '../../proxy/app/proxy.js';
import { setLogSink } from '../../proxy/telemetry/log.js';
import { recordingContext, until } from '../testing.js';
import { createWorkloadKeyAndCsr } from '../../control-plane/ca/csr.js';
import { createTestPki, TRUST_DOMAIN, WEB } from '../../control-plane/discovery/testing.js';
import { runProxy, type IdentityFiles, type ProxySettings } from './proxy.js';

const config = (version: string, status = 200) => `version: ${version}
listeners:
  - {name: out, port: 0, routeConfig: r}
  - {name: db, address: '::1', port: 5433, protocol: tcp, tcpCluster: pg}
routeConfigs:
  - {name: r, virtualHosts: [{name: all, domains: ['*'], routes: [{direct: {status: ${status}}}]}]}
clusters:
  - {name: pg, endpoints: [{address: 127.0.0.1, port: 5432}]}
`;

class FakeProxy {
  options: ProxyOptions | undefined;
  readonly applied: Snapshot[] = [];
  drains = 0;
  finishDrain: () => void = () => undefined;

  readonly start = async (options: ProxyOptions): Promise<ProxyHandle> => {
    this.options = options;
    return {
      applySnapshot: async (s) => {
        this.applied.push(s);
        return { applied: true };
      },
      drain: () => {
        this.drains++;
        return new Promise<void>((resolve) => (this.finishDrain = resolve));
      },
      close: async () => undefined,
      listenerPorts: new Map([
        ['out', 40001],
        ['db', 5433],
      ]),
      adminPort: 40000,
    };
  };
}

let dir: string;
let path: string;
let logs: string[];
/** Contexts of this test: signalled at the end so a failed test cannot leave a watcher running. */
let contexts: ReturnType<typeof recordingContext>[] = [];
function context(): ReturnType<typeof recordingContext> {
  const ctx = recordingContext();
  contexts.push(ctx);
  return ctx;
}
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maille-proxy-cmd-'));
  path = join(dir, 'proxy.yaml');
  logs = [];
  setLogSink((line) => void logs.push(line));
});
afterEach(async () => {
  for (const ctx of contexts) for (let i = 0; i < 2; i++) ctx.signals.emit('SIGTERM');
  contexts = [];
  setLogSink(undefined);
  await rm(dir, { recursive: true, force: true });
});

const settings = (): ProxySettings => ({ config: path, adminPort: 0, adminAddress: '127.0.0.1', logLevel: 'info' });

describe('maille proxy', () => {
  it('starts, prints its ports, reloads good changes, rejects bad ones, drains on SIGTERM', async () => {
    await writeFile(path, config('v1'));
    const fake = new FakeProxy();
    const ctx = context();
    const exit = runProxy(settings(), ctx, fake.start);

    await until(() => ctx.stdout.length === 3, 'the port lines');
    assert.deepEqual(ctx.stdout, ['listener out 127.0.0.1:40001', 'listener db [::1]:5433', 'admin 127.0.0.1:40000']);
    assert.equal(fake.options?.snapshot.version, 'v1');
    assert.deepEqual({ ...fake.options, snapshot: undefined }, { snapshot: undefined, adminPort: 0, adminAddress: '127.0.0.1', logLevel: 'info' });

    await writeFile(path, config('v2', 204));
    await until(() => fake.applied.length === 1, 'the reload');
    assert.equal(fake.applied[0].version, 'v2');

    await writeFile(path, config('v3').replace('protocol: tcp', 'protocol: udp'));
    await until(() => logs.some((l) => l.includes('rejected')), 'the rejection log');
    const rejected = logs.find((l) => l.includes('rejected'));
    assert.match(rejected ?? '', / error config rejected: /);
    assert.ok(
      rejected?.includes(`rejected: ${path}: listeners[1].protocol: must be one of detect, http1, http2, tcp (got "udp") serving=v2`),
      rejected,
    );
    assert.equal(fake.applied.length, 1);

    ctx.signals.emit('SIGTERM');
    await until(() => fake.drains === 1, 'the drain');
    fake.finishDrain();
    assert.equal(await exit, 0);
    assert.deepEqual(ctx.stderr, []);
    assert.equal(ctx.signals.listenerCount('SIGTERM') + ctx.signals.listenerCount('SIGINT'), 0);
  });

  it('exits 1 at once on a second signal during the drain', async () => {
    await writeFile(path, config('v1'));
    const fake = new FakeProxy();
    const ctx = context();
    const exit = runProxy(settings(), ctx, fake.start);
    await until(() => ctx.stdout.length === 3, 'the port lines');
    ctx.signals.emit('SIGINT');
    await until(() => fake.drains === 1, 'the drain');
    ctx.signals.emit('SIGINT');
    assert.equal(await exit, 1);
  });

  it('refuses an invalid initial config without starting the proxy', async () => {
    await writeFile(path, config('v1').replace('port: 0', 'port: 0, prot: 1'));
    const fake = new FakeProxy();
    const ctx = context();
    assert.equal(await runProxy(settings(), ctx, fake.start), 1);
    assert.deepEqual(ctx.stderr, [`maille: ${path}: listeners[0].prot: unknown field`]);
    assert.deepEqual(ctx.stdout, []);
    assert.equal(fake.options, undefined);
  });
});

describe('maille proxy --identity-cert/--identity-key/--trust-bundle (mesh mTLS in file mode)', () => {
  // A real CA and SVIDs, as the control plane would issue them.
  const files = async (identity = WEB): Promise<IdentityFiles> => {
    const pki = await createTestPki();
    const svid = await pki.issue(identity);
    await writeFile(join(dir, 'cert.pem'), svid.certChainPem);
    await writeFile(join(dir, 'key.pem'), svid.privateKeyPem);
    await writeFile(join(dir, 'bundle.pem'), pki.trustBundlePem);
    await pki.close();
    return { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), trustBundleFile: join(dir, 'bundle.pem'), trustDomain: TRUST_DOMAIN };
  };

  it('serves mTLS between two file-mode proxies; plaintext to the STRICT side is refused', async () => {
    const identity = await files();
    const serverConfig = join(dir, 'server.yaml');
    await writeFile(
      serverConfig,
      `version: s1
listeners:
  - {name: inbound, port: 0, direction: inbound, protocol: http1, routeConfig: r, mtls: {mode: STRICT}}
routeConfigs:
  - {name: r, virtualHosts: [{name: all, domains: ['*'], routes: [{direct: {status: 204}}]}]}
`,
    );
    const server = context();
    const serverExit = runProxy({ ...settings(), config: serverConfig, identity }, server);
    await until(() => server.stdout.length === 2, 'the server port lines');
    const serverPort = Number(/:(\d+)$/.exec(server.stdout[0])?.[1]);

    await writeFile(
      path,
      `version: c1
listeners:
  - {name: outbound, port: 0, routeConfig: r}
routeConfigs:
  - {name: r, virtualHosts: [{name: all, domains: ['*'], routes: [{forward: {destinations: [{cluster: server}]}}]}]}
clusters:
  - {name: server, endpoints: [{address: 127.0.0.1, port: ${serverPort}}], mtls: {subjectAltNames: ['spiffe://${TRUST_DOMAIN}/ns/default/sa/web']}}
`,
    );
    const client = context();
    const clientExit = runProxy({ ...settings(), identity }, client);
    await until(() => client.stdout.length === 2, 'the client port lines');
    const clientPort = Number(/:(\d+)$/.exec(client.stdout[0])?.[1]);

    const through = await fetch(`http://127.0.0.1:${clientPort}/`);
    assert.equal(through.status, 204);
    await assert.rejects(fetch(`http://127.0.0.1:${serverPort}/`), 'plaintext to a STRICT listener');

    for (const ctx of [client, server]) for (let i = 0; i < 2; i++) ctx.signals.emit('SIGTERM');
    await Promise.all([clientExit, serverExit]);
  });

  it('refuses a key that is not the certificate\'s, and a missing file, naming the option and file', async () => {
    const identity = await files();
    const otherKey = join(dir, 'other-key.pem');
    await writeFile(otherKey, (await createWorkloadKeyAndCsr()).privateKeyPem);
    await writeFile(path, config('v1'));
    const fake = new FakeProxy();
    const ctx = context();
    assert.equal(await runProxy({ ...settings(), identity: { ...identity, keyFile: otherKey } }, ctx, fake.start), 1);
    assert.deepEqual(ctx.stderr, [`maille: --identity-key ${otherKey}: it is not the key of --identity-cert`]);
    const missing = join(dir, 'nope.pem');
    assert.equal(await runProxy({ ...settings(), identity: { ...identity, certFile: missing } }, ctx, fake.start), 1);
    assert.equal(ctx.stderr[1], `maille: --identity-cert ${missing}: cannot read it: ENOENT`);
    assert.equal(fake.options, undefined);
  });

  it('hands the identity to the proxy', async () => {
    const identity = await files();
    await writeFile(path, config('v1'));
    const fake = new FakeProxy();
    const ctx = context();
    const exit = runProxy({ ...settings(), identity }, ctx, fake.start);
    await until(() => ctx.stdout.length === 3, 'the port lines');
    assert.equal(fake.options?.identity?.trustDomain, TRUST_DOMAIN);
    ctx.signals.emit('SIGTERM');
    await until(() => fake.drains === 1, 'the drain');
    fake.finishDrain();
    assert.equal(await exit, 0);
  });
});
