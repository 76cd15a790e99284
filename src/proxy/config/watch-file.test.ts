import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Snapshot } from '../../model/snapshot.js';
import type { ConfigError } from './config-error.js';
import { readSnapshotFile } from './load-file.js';
import { watchSnapshotFile, type SnapshotWatcher, type SnapshotWatchOptions } from './watch-file.js';

type Event = { snapshot: Snapshot } | { error: ConfigError };

/** Records what the watcher delivers; `next()` waits for the next event. */
class Recorder {
  private readonly events: Event[] = [];
  private waiter: ((e: Event) => void) | undefined;
  readonly handlers = {
    onSnapshot: (snapshot: Snapshot) => this.push({ snapshot }),
    onError: (error: ConfigError) => this.push({ error }),
  };

  private push(e: Event): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(e);
    } else this.events.push(e);
  }

  next(timeoutMs = 3000): Promise<Event> {
    const queued = this.events.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
    });
  }

  async nextSnapshot(): Promise<Snapshot> {
    const e = await this.next();
    if (!('snapshot' in e)) assert.fail(`expected a snapshot, got error: ${e.error.message}`);
    return e.snapshot;
  }

  async nextError(): Promise<ConfigError> {
    const e = await this.next();
    if (!('error' in e)) assert.fail(`expected an error, got snapshot ${e.snapshot.version}`);
    return e.error;
  }

  /** Asserts nothing arrives for `ms`. */
  async quiet(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(this.events, []);
  }
}

const good = (version: string) => `version: ${version}\nlisteners: []\n`;
const FAST: SnapshotWatchOptions = { debounceMs: 20, pollIntervalMs: 100 };

let dir: string;
let path: string;
let watcher: SnapshotWatcher | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'maille-watch-'));
  path = join(dir, 'proxy.yaml');
  await writeFile(path, good('v1'));
});
afterEach(async () => {
  watcher?.close();
  watcher = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('watchSnapshotFile', () => {
  it('delivers the current file first, then a good change', async () => {
    const rec = new Recorder();
    watcher = watchSnapshotFile(path, rec.handlers, FAST);
    assert.equal((await rec.nextSnapshot()).version, 'v1');
    await writeFile(path, good('v2'));
    assert.equal((await rec.nextSnapshot()).version, 'v2');
  });

  it('reports a bad change once, then delivers the fixed file', async () => {
    const { hash } = await readSnapshotFile(path);
    const rec = new Recorder();
    watcher = watchSnapshotFile(path, rec.handlers, { ...FAST, lastHash: hash });
    await writeFile(path, 'version: v2\nlisteners: []\nclusters: [{name: c, endpoints: [], loadBalancer: {policy: rr}}]\n');
    const err = await rec.nextError();
    assert.equal(err.code, 'MAILLE_ERR_CONFIG');
    assert.deepEqual(err.problems, [
      `${path}: clusters[0].loadBalancer.policy: must be one of round_robin, least_request, random, consistent_hash (got "rr")`,
    ]);
    await rec.quiet(250); // polls see the same bad content: no second report
    await writeFile(path, good('v3'));
    assert.equal((await rec.nextSnapshot()).version, 'v3');
  });

  it('follows a file replaced by rename, as editors save', async () => {
    const rec = new Recorder();
    watcher = watchSnapshotFile(path, rec.handlers, FAST);
    await rec.nextSnapshot();
    const tmp = join(dir, '.proxy.yaml.swp');
    await writeFile(tmp, good('v2'));
    await rename(tmp, path);
    assert.equal((await rec.nextSnapshot()).version, 'v2');
  });

  it('does not deliver an identical rewrite, nor the running content again', async () => {
    const { hash } = await readSnapshotFile(path);
    const rec = new Recorder();
    watcher = watchSnapshotFile(path, rec.handlers, { ...FAST, lastHash: hash });
    await writeFile(path, good('v1'));
    await rec.quiet(300);
    // bad, then back to what runs: the error is reported, the old content is not re-delivered
    await writeFile(path, 'version: v1\n');
    assert.deepEqual((await rec.nextError()).problems, [`${path}: listeners: is required (a list)`]);
    await writeFile(path, good('v1'));
    await rec.quiet(300);
  });

  it('reports a deleted file and picks it up when it comes back', async () => {
    const rec = new Recorder();
    watcher = watchSnapshotFile(path, rec.handlers, FAST);
    await rec.nextSnapshot();
    await rm(path);
    const err = await rec.nextError();
    assert.equal(err.code, 'MAILLE_ERR_CONFIG_READ');
    assert.deepEqual(err.problems, [`${path}: cannot read the file: no such file`]);
    await writeFile(path, good('v2'));
    assert.equal((await rec.nextSnapshot()).version, 'v2');
  });

  it('sees changes by polling alone', async () => {
    const rec = new Recorder();
    watcher = watchSnapshotFile(path, rec.handlers, { ...FAST, fsWatch: false });
    await rec.nextSnapshot();
    await writeFile(path, good('v2-longer'));
    assert.equal((await rec.nextSnapshot()).version, 'v2-longer');
  });

  it('delivers nothing after close', async () => {
    const rec = new Recorder();
    watcher = watchSnapshotFile(path, rec.handlers, FAST);
    await rec.nextSnapshot();
    watcher.close();
    await writeFile(path, good('v2'));
    await rec.quiet(300);
  });
});
