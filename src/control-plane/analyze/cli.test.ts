// `maille analyze` as a user runs it: the real process, its lines and its exit code.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runMaille } from '../../cli/testing.js';
import { MESH, TempFiles } from './testing.js';

const files = new TempFiles();
after(() => files.remove());

const maille = runMaille;

const route = (spec: string) => `${MESH}---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n${spec}`;

describe('maille analyze (process)', () => {
  it('exits 0 on examples/mesh.yaml, saying there is nothing to fix', async () => {
    assert.deepEqual(await maille(['analyze', '-f', 'examples/mesh.yaml']), { code: 0, stdout: '0 errors, 0 warnings\n', stderr: '' });
  });

  it('exits 1 on an error, with one line per finding and the summary; files may follow -f', async () => {
    const mesh = files.write('mesh.yaml', MESH);
    const bad = files.write('bad.yaml', route('  http: [{route: [{destination: {host: reviews, subset: v2}}]}]\n').slice(MESH.length + 4));
    const missing = files.write('gone.yaml', '') + '-not-there';
    assert.deepEqual(await maille(['analyze', '-f', mesh, bad, missing]), {
      code: 1,
      stdout: [
        `${bad}:6: error: document 1 (VirtualService/default/reviews): spec.http[0].route[0].destination.subset: subset "v2" is not defined by any DestinationRule for reviews.default.svc.cluster.local, so requests routed there fail with 503; add it to the spec.subsets of a DestinationRule for reviews.default.svc.cluster.local, or route to a defined subset`,
        `${missing}: error: cannot read: ENOENT; check the path`,
        '2 errors, 0 warnings',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('exits 0 on warnings alone', async () => {
    const f = files.write('warn.yaml', route('  http:\n    - corsPolicy: {allowOrigins: [{exact: "https://a.example"}]}\n      route: [{destination: {host: reviews}}]\n'));
    assert.deepEqual(await maille(['analyze', '-f', f]), {
      code: 0,
      stdout: `${f}:22: warning: document 2 (VirtualService/default/reviews): spec.http[0].corsPolicy: CORS is not supported by the proxy yet; ignored\n0 errors, 1 warning\n`,
      stderr: '',
    });
  });

  it('prints data with -o json (the summary on stderr) and keeps the exit code', async () => {
    const f = files.write('schema.yaml', route('  htp: []\n'));
    const run = await maille(['analyze', '-f', f, '-o', 'json']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, '1 error, 0 warnings\n');
    assert.deepEqual(JSON.parse(run.stdout), [
      { severity: 'error', file: f, line: 21, document: 2, resource: 'VirtualService/default/reviews', path: 'spec.htp', message: 'unknown field (did you mean http?)' },
    ]);
  });

  it('needs a file', async () => {
    assert.deepEqual(await maille(['analyze']), { code: 1, stdout: '', stderr: "maille: analyze: -f FILE is required; see 'maille analyze --help'\n" });
  });
});
