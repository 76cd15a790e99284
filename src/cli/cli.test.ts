// The real `maille` process: exit codes and exact lines as a user (or script) sees them. Runs the
// TypeScript entry through tsx from the package root, so it needs no build.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageInfo } from './package-info.js';
import { runMaille, startMaille } from './testing.js';

const { version } = packageInfo();

const maille = runMaille;
const start = startMaille;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maille-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('maille (process)', () => {
  it('version prints the package version', async () => {
    assert.deepEqual(await maille(['version']), { code: 0, stdout: `maille ${version}\n`, stderr: '' });
    const json = await maille(['version', '-o', 'json']);
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout), { version });
  });

  it('proxy with a bad config exits 1 with one line per problem', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'version: v1\nlisteners: []\nclusters: [{name: c, endpoints: [], loadBalancer: {policy: rr}}]\n');
    assert.deepEqual(await maille(['proxy', '--config', bad]), {
      code: 1,
      stdout: '',
      stderr: `maille: ${bad}: clusters[0].loadBalancer.policy: must be one of round_robin, least_request, random, consistent_hash (got "rr")\n`,
    });
  });

  it('proxy with a YAML syntax error exits 1 naming line and column', async () => {
    const bad = join(dir, 'syntax.yaml');
    await writeFile(bad, 'version: v1\nlisteners: [\n');
    const run = await maille(['proxy', '--config', bad]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^maille: ${bad.replace(/[.]/g, '\\.')}:3:1: [^\\n]+\\n$`));
  });

  it('an unknown command exits 1 with one line', async () => {
    assert.deepEqual(await maille(['frobnicate']), {
      code: 1,
      stdout: '',
      stderr: 'maille: unknown command "frobnicate" (commands: analyze, apply, ca, delete, demo, get, proxy, proxy-config, proxy-status, run, tls-check, version, help)\n',
    });
  });

  it('proxy prints its ports, serves, and exits 0 after draining on SIGTERM', async () => {
    const good = join(dir, 'good.yaml');
    await writeFile(
      good,
      `version: v1
listeners: [{name: web, port: 0, routeConfig: r}]
routeConfigs:
  - {name: r, virtualHosts: [{name: all, domains: ['*'], routes: [{direct: {status: 200, body: hello}}]}]}
`,
    );
    const child = start(['proxy', '--config', good, '--admin-port', '0']);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      while (!/^admin .*\n/m.test(stdout)) {
        await Promise.race([once(child.stdout, 'data'), exited.then(() => assert.fail(`exited early: ${stdout}`))]);
      }
      const lines = stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      const web = /^listener web 127\.0\.0\.1:(\d+)$/.exec(lines[0]);
      assert.ok(web, lines[0]);
      assert.match(lines[1], /^admin 127\.0\.0\.1:\d+$/);
      const res = await fetch(`http://127.0.0.1:${web[1]}/`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'hello');
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
