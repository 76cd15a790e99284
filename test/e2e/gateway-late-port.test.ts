// A Gateway applied while `maille run` runs, on a port another process holds by then: the apply
// succeeds (the configuration is valid), the gateway keeps serving its other ports, and the port is
// named with what to change in the `maille run` log and in `maille proxy-status`. Once the port is
// freed the gateway listens on it without another apply, and the problem is gone from both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageInfo } from '../../src/cli/package-info.js';
import { call, type Reply } from '../support/client.js';
import { freePort } from '../support/mesh.js';

const ROOT = packageInfo().root;
const BIN = join(ROOT, 'bin/maille.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const limit = (ms: number): Promise<'timeout'> => new Promise((r) => setTimeout(() => r('timeout'), ms).unref());

const ECHO_APP = `import { createServer } from 'node:http';
const server = createServer((req, res) => { req.resume(); res.end(JSON.stringify({ name: process.env.NAME })); });
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const gatewayYaml = (name: string, port: number) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${port}, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: ["*"]
  gateways: [${name}]
  http:
  - route: [{destination: {host: hello}}]
`;

function maille(args: string[], stdin = ''): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }));
    child.stdin?.end(stdin);
  });
}

async function eventually<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, context: () => string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | Error | undefined;
  while (Date.now() < deadline) {
    last = await get().catch((e: Error) => e);
    if (!(last instanceof Error) && ok(last)) return last;
    await sleep(200);
  }
  throw new Error(`${what}: last ${last instanceof Error ? last.message : JSON.stringify(last)}\n${context()}`);
}

test('maille run: a Gateway applied on a port taken meanwhile is reported with the port and what to change, and heals when freed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'maille-late-port-'));
  writeFileSync(join(dir, 'echo.mjs'), ECHO_APP);
  const [http, late] = [await freePort(), await freePort()];
  assert.notEqual(http, late);
  const meshFile = join(dir, 'mesh.yaml');
  writeFileSync(
    meshFile,
    `apiVersion: maille.dev/v1alpha1
kind: Mesh
metadata: {name: late}
spec:
  gateways:
    - name: ingressgateway
      ports: [{port: 80, targetPort: ${http}}]
  services:
    - name: hello
      port: 9080
      workloads:
        - {version: v1, command: "exec node ${join(dir, 'echo.mjs')}", env: {NAME: hello-v1}}
---
${gatewayYaml('front', 80)}`,
  );
  const stateDir = join(dir, 'state');
  const child = spawn(process.execPath, [BIN, 'run', '-f', meshFile, '--state-dir', stateDir, '--control-plane-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const log = () => lines.slice(-40).join('\n');
  const hello = (r: Reply) => r.status === 200 && r.body.includes('"name":"hello-v1"');
  let holder: Server | undefined;
  try {
    await eventually('the gateway on its first port', () => call(http, '/'), hello, log, 60_000);

    // Another process takes the port before the Gateway that wants it is applied.
    holder = createServer((s) => s.destroy());
    await new Promise<void>((r) => holder!.listen(late, '127.0.0.1', r));
    const applied = await maille(['apply', '-f', '-', '--state-dir', stateDir], gatewayYaml('late', late));
    assert.equal(applied.code, 0, `the configuration is valid, so the apply succeeds: ${applied.out}`);

    const expected = `port ${late} (Gateway default/late spec.servers[0], gateway ingressgateway.istio-system) is already in use on 127.0.0.1; free it or change the Gateway's port, or map it in ${meshFile} spec.gateways[0].ports (e.g. - {port: ${late}, targetPort: ${late + 10000 > 65535 ? 18080 : late + 10000}})`;
    const status = await eventually('proxy-status names the port', () => maille(['proxy-status', '--state-dir', stateDir]), (r) => r.out.includes(expected), log);
    assert.ok(status.out.split('\n').includes(`ingressgateway.istio-system: ${expected}`), status.out);
    assert.ok(lines.includes(`warning: ${expected}`), `the maille run log says it too:\n${log()}`);
    const yaml = await maille(['proxy-status', '-o', 'json', '--state-dir', stateDir]);
    const gateway = (JSON.parse(yaml.out) as { nodeId: string; state: string; problems?: string[] }[]).find((p) => p.nodeId === 'ingressgateway.istio-system');
    assert.deepEqual(gateway?.problems, [expected]);
    assert.equal(gateway?.state, 'synced', 'the configuration itself is applied (ACKed)');
    // The rest of the gateway's configuration serves.
    assert.ok(hello(await call(http, '/')));

    // Freed: the gateway takes the port without another apply, and the problem is gone.
    await new Promise<void>((r) => holder!.close(() => r()));
    holder = undefined;
    await eventually('the freed port', () => call(late, '/'), hello, log);
    await eventually('proxy-status without the problem', () => maille(['proxy-status', '--state-dir', stateDir]), (r) => !r.out.includes('PROBLEMS') && / synced /.test(r.out), log);
    await eventually('the log says so', async () => lines, (ls) => ls.includes(`gateway ingressgateway.istio-system: listening on 127.0.0.1:${late} now, or no longer asked to`), log, 5_000);

    child.kill('SIGINT');
    assert.equal(await Promise.race([exited, limit(20_000)]), 0);
  } finally {
    holder?.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await Promise.race([exited, limit(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
});
