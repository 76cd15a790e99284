import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../run.js';
import { parseDuration } from './ca.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), signals: { once: () => undefined, off: () => undefined } });
  return { code, out, err };
}

describe('maille ca', () => {
  it('reads overlaps as durations', () => {
    assert.equal(parseDuration('48h'), 48 * 3600_000);
    assert.equal(parseDuration('1h30m'), 90 * 60_000);
    assert.equal(parseDuration('20s'), 20_000);
    assert.equal(parseDuration('1500ms'), 1500);
    assert.throws(() => parseDuration('48'), /--overlap: "48" is not a duration \(e\.g\. 48h, 90m, 30s, 1h30m\)/);
    assert.throws(() => parseDuration('2h '), /is not a duration/);
    assert.throws(() => parseDuration('0s'), /must be longer than zero/);
  });

  it('says what is wrong in one line', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'maille-ca-cli-'));
    assert.deepEqual((await cli('ca')).err, ["maille: ca: needs an action: status or rotate-root; see 'maille ca --help'"]);
    assert.deepEqual((await cli('ca', 'spin')).err, [`maille: ca: unknown action "spin"; allowed: status, rotate-root; see 'maille ca --help'`]);
    assert.deepEqual((await cli('ca', 'status', '--overlap', '1h', '--state-dir', stateDir)).err, ["maille: ca: --overlap applies to rotate-root only; see 'maille ca --help'"]);
    assert.deepEqual(await cli('ca', 'status', '--state-dir', stateDir), {
      code: 1,
      out: [],
      err: [`maille: no running control plane found in ${stateDir} (start one with maille run -f mesh.yaml)`],
    });
  });
});
