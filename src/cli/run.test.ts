import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packageInfo } from './package-info.js';
import { runCli, usage } from './run.js';
import { recordingContext } from './testing.js';

async function cli(...argv: string[]) {
  const ctx = recordingContext();
  const code = await runCli(argv, ctx);
  return { code, stdout: ctx.stdout, stderr: ctx.stderr };
}

describe('runCli', () => {
  const { version } = packageInfo();

  it('prints the version as text, JSON or YAML', async () => {
    assert.deepEqual(await cli('version'), { code: 0, stdout: [`maille ${version}`], stderr: [] });
    const json = await cli('version', '-o', 'json');
    assert.deepEqual(JSON.parse(json.stdout.join('\n')), { version });
    assert.deepEqual((await cli('version', '--output=yaml')).stdout, [`version: ${version}`]);
    assert.deepEqual((await cli('--version')).stdout, [`maille ${version}`]);
  });

  it('lists commands for help, and usage on stderr with exit 1 for nothing', async () => {
    const help = await cli('help');
    assert.equal(help.code, 0);
    assert.deepEqual(help.stdout, usage());
    assert.ok(help.stdout.some((l) => /^ {2}proxy +run a proxy/.test(l)));
    assert.ok(help.stdout.some((l) => /^ {2}version +print the version/.test(l)));
    assert.deepEqual(await cli(), { code: 1, stdout: [], stderr: usage() });
  });

  it('shows a command help', async () => {
    const viaHelp = await cli('help', 'proxy');
    const viaFlag = await cli('proxy', '--help');
    assert.equal(viaHelp.code, 0);
    assert.equal(viaHelp.stdout[0], 'usage: maille proxy --config FILE [options]');
    assert.deepEqual(viaFlag.stdout, viaHelp.stdout);
  });

  it('reports an unknown command in one line', async () => {
    assert.deepEqual(await cli('proxxy'), {
      code: 1,
      stdout: [],
      stderr: ['maille: unknown command "proxxy" (commands: analyze, apply, ca, delete, demo, get, proxy, proxy-config, proxy-status, run, tls-check, version, help)'],
    });
    assert.deepEqual((await cli('help', 'nope')).stderr, ['maille: unknown command "nope" (commands: analyze, apply, ca, delete, demo, get, proxy, proxy-config, proxy-status, run, tls-check, version, help)']);
  });

  it('reports bad arguments in one line naming the command', async () => {
    assert.deepEqual(await cli('version', '-o', 'xml'), {
      code: 1,
      stdout: [],
      stderr: ["maille: version: --output must be one of json, yaml (got \"xml\"); see 'maille version --help'"],
    });
    assert.deepEqual((await cli('proxy', '--config', 'x.yaml', '--log-level', 'loud')).stderr, [
      "maille: proxy: --log-level must be one of debug, info, warn, error (got \"loud\"); see 'maille proxy --help'",
    ]);
  });
});
