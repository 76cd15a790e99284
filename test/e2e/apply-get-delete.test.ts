// `maille apply/get/delete/proxy-status` against a running `maille run`, as a user types them:
// real CLI processes, the configuration API found through the state directory, traffic through
// the client workload's sidecar, and a restart that keeps what was applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startExampleMesh, type ExampleMeshRun } from '../support/maille-run.js';
import { packageInfo } from '../../src/cli/package-info.js';
import { viaProxy } from '../support/client.js';

// From the package root, so the test runs the same from src (tsx) and from dist.
const ROOT = packageInfo().root;
const BIN = join(ROOT, 'bin/maille.js');

const ALL_V2 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
    - route:
        - destination: {host: reviews, subset: v2}
`;

function maille(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `maille run` and resolves once all three sidecars are up and the client's sidecar routes, with its outbound port. */
async function startRun(stateDir: string): Promise<ExampleMeshRun & { outbound: number }> {
  const run = await startExampleMesh(stateDir);
  const outbound = run.row('client-v1-0').outbound;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await viaProxy(outbound, 'http://reviews:9080/r').catch(() => ({ status: 0 }))).status !== 200) await sleep(100);
  return { ...run, outbound };
}

async function versions(outbound: number, n: number): Promise<{ v1: number; v2: number }> {
  const seen = { v1: 0, v2: 0 };
  for (let i = 0; i < n; i++) {
    const r = await viaProxy(outbound, 'http://reviews:9080/r');
    assert.equal(r.status, 200);
    seen[JSON.parse(r.body).version as 'v1' | 'v2']++;
  }
  return seen;
}

/** Polls until `n` requests in a row satisfy `ok`, or fails after `ms`. */
async function eventually(outbound: number, ok: (v: { v1: number; v2: number }) => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = { v1: 0, v2: 0 };
  while (Date.now() < deadline) {
    last = await versions(outbound, 20);
    if (ok(last)) return;
    await sleep(50);
  }
  assert.fail(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
}

test('maille apply/get/delete/proxy-status against maille run; applied configuration survives a restart', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'maille-apply-'));
  const dir = mkdtempSync(join(tmpdir(), 'maille-apply-files-'));
  const allV2 = join(dir, 'all-v2.yaml');
  writeFileSync(allV2, ALL_V2);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, ALL_V2.replace('v2}', 'v1}\n      timeout: 1 s'));
  const sd = ['--state-dir', stateDir];

  let run = await startRun(stateDir);
  try {
    assert.ok(run.lines.some((l) => l.startsWith('configuration API http://127.0.0.1:')), run.lines.join('\n'));

    // apply: the file's 50/50 VirtualService is replaced; traffic follows within seconds.
    assert.deepEqual(await maille('apply', '-f', allV2, ...sd), { code: 0, stdout: 'virtualservice/default/reviews configured\n', stderr: '' });
    await eventually(run.outbound, (v) => v.v2 === 20, 'all traffic to v2 after apply');
    assert.equal((await maille('apply', '-f', allV2, ...sd)).stdout, 'virtualservice/default/reviews unchanged\n');

    // get: the applied version, as data and as a table.
    const json = await maille('get', 'virtualservices', '-o', 'json', ...sd);
    assert.equal(json.code, 0, json.stderr);
    const list = JSON.parse(json.stdout);
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((r: { metadata: { name: string } }) => r.metadata.name), ['reviews']);
    assert.equal(list.items[0].spec.http.length, 1);
    assert.equal(list.items[0].spec.http[0].route[0].destination.subset, 'v2');
    const table = await maille('get', 'vs', ...sd);
    assert.deepEqual(table.stdout.trimEnd().split('\n'), ['NAMESPACE  NAME     ORIGIN', 'default    reviews  applied']);
    assert.equal((await maille('get', 'dr', 'reviews', '-n', 'default', ...sd)).stdout.trimEnd().split('\n')[1], 'default    reviews  file');

    // An invalid apply is refused with its reason; the last good configuration keeps serving.
    const refused = await maille('apply', '-f', bad, ...sd);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, new RegExp(`^maille: ${bad.replace(/[.]/g, '\\.')}:\\d+: document 1 \\(VirtualService/default/reviews\\): spec\\.http\\[0\\]\\.timeout: [^\\n]+\\n$`));
    assert.deepEqual(await versions(run.outbound, 20), { v1: 0, v2: 20 });

    // proxy-status: three proxies, all synced.
    let status = await maille('proxy-status', ...sd);
    const deadline = Date.now() + 5000;
    while (status.stdout.split('\n').filter((l) => / synced /.test(l)).length < 3 && Date.now() < deadline) status = await maille('proxy-status', ...sd);
    const rows = status.stdout.trimEnd().split('\n');
    assert.match(rows[0], /^NAME +IDENTITY +SENT +ACKED +STATE +LAST NACK$/);
    assert.deepEqual(
      rows.slice(1).map((r) => r.split(/\s+/).filter((_, i) => i !== 2 && i !== 3)),
      [
        ['client-v1-0', 'spiffe://cluster.local/ns/default/sa/client', 'synced', '-'],
        ['reviews-v1-0', 'spiffe://cluster.local/ns/default/sa/reviews', 'synced', '-'],
        ['reviews-v2-0', 'spiffe://cluster.local/ns/default/sa/reviews', 'synced', '-'],
      ],
    );

    // delete: the mesh file's 50/50 split serves again.
    assert.deepEqual(await maille('delete', 'virtualservice', 'reviews', ...sd), {
      code: 0,
      stdout: "virtualservice/default/reviews deleted (the mesh file's version serves again)\n",
      stderr: '',
    });
    await eventually(run.outbound, (v) => v.v1 > 0 && v.v2 > 0, 'both versions after delete');
    const split = await versions(run.outbound, 100);
    assert.ok(split.v1 >= 25 && split.v1 <= 75, JSON.stringify(split));
    assert.equal((await maille('delete', 'vs', 'reviews', ...sd)).stderr, 'maille: virtualservice/default/reviews comes from the mesh file; remove it there and restart maille run\n');

    // Apply again, stop, and restart with the same state directory: it is still there.
    assert.equal((await maille('apply', '-f', allV2, ...sd)).stdout, 'virtualservice/default/reviews configured\n');
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0);
    assert.equal(existsSync(join(stateDir, 'api.json')), false);
    assert.deepEqual(await maille('get', 'vs', ...sd), {
      code: 1,
      stdout: '',
      stderr: `maille: no running control plane found in ${stateDir} (start one with maille run -f mesh.yaml)\n`,
    });

    run = await startRun(stateDir);
    const after = JSON.parse((await maille('get', 'vs', 'reviews', '-o', 'json', ...sd)).stdout);
    assert.equal(after.spec.http[0].route[0].destination.subset, 'v2');
    await eventually(run.outbound, (v) => v.v2 === 20, 'all traffic to v2 after restart');
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});
