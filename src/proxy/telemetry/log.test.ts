import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, getLogLevel, setLogFormat, setLogLevel, setLogSink, isLogLevel } from './log.js';

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

function capture(): string[] {
  const lines: string[] = [];
  setLogSink((l) => lines.push(l));
  return lines;
}

afterEach(() => {
  setLogSink(undefined);
  setLogFormat('text');
  setLogLevel('info');
});

test('filters by level and changes at runtime', () => {
  const lines = capture();
  const log = createLogger('pool');
  setLogLevel('warn');
  assert.equal(getLogLevel(), 'warn');
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  assert.deepEqual(
    lines.map((l) => l.replace(TS, '')),
    ['warn  pool w\n', 'error pool e\n'],
  );
  setLogLevel('debug');
  log.debug('now visible');
  assert.equal(lines.length, 3);
  assert.equal(log.enabled('debug'), true);
  setLogLevel('off');
  log.error('silenced');
  assert.equal(lines.length, 3);
  assert.equal(log.enabled('error'), false);
  assert.equal(log.enabled('off'), false);
});

test('text lines: timestamp, level, component, message, key=value (quoted when needed)', () => {
  const lines = capture();
  const log = createLogger('proxy');
  const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9081'), { code: 'ECONNREFUSED' });
  log.info('listening', { port: 15001, name: 'outbound', note: 'two words', skipped: undefined, ok: true, n: null });
  log.warn('two\nlines', { err, q: 'say "x"', obj: { a: 1 } });
  assert.match(lines[0], TS);
  assert.equal(lines[0].replace(TS, ''), 'info  proxy listening port=15001 name=outbound note="two words" ok=true n=null\n');
  assert.equal(
    lines[1].replace(TS, ''),
    'warn  proxy two\\nlines err="ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9081" q="say \\"x\\"" obj="{\\"a\\":1}"\n',
  );
});

test('json lines, and a field that cannot be serialized does not lose the line', () => {
  const lines = capture();
  setLogFormat('json');
  const log = createLogger('admin');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  log.error('failed', { err: new Error('boom'), big: 10n, cyclic, level: 'sneaky', count: 2 });
  assert.equal(lines.length, 1);
  assert.ok(lines[0].endsWith('\n'));
  const o = JSON.parse(lines[0]) as Record<string, unknown>;
  assert.match(String(o.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual({ ...o, ts: 'T' }, {
    ts: 'T',
    level: 'error',
    component: 'admin',
    msg: 'failed',
    err: 'boom',
    big: '10',
    cyclic: '[unserializable]',
    count: 2,
  });
});

test('rejects unknown levels', () => {
  assert.equal(isLogLevel('debug'), true);
  assert.equal(isLogLevel('trace'), false);
  assert.equal(isLogLevel('constructor'), false);
  assert.throws(() => setLogLevel('verbose' as never), /unknown log level "verbose": use one of debug, info, warn, error, off/);
  assert.equal(getLogLevel(), 'info');
});

test('writes to stderr by default, format and level from the environment', async () => {
  const { spawnSync } = await import('node:child_process');
  // Runs both from source (tsx) and from the compiled dist/ the full test run uses.
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './log.ts' : './log.js', import.meta.url).href;
  const code = `import(${JSON.stringify(url)}).then((m) => { const l = m.createLogger('c'); l.info('hidden'); l.warn('hello', { a: 1 }); });`;
  const r = spawnSync(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), '-e', code], {
    env: { ...process.env, MAILLE_LOG_FORMAT: 'json', MAILLE_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const o = JSON.parse(r.stderr.trim()) as Record<string, unknown>;
  assert.equal(o.msg, 'hello');
  assert.equal(o.level, 'warn');
  assert.equal(o.a, 1);
});
