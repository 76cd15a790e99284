// Watches a snapshot file and delivers each new valid snapshot; a bad file is reported and the
// caller keeps serving the last good one.
//
// Three layers, because no single one is reliable:
// - fs.watch on the *directory*: editors and `kubectl`-style writers replace files by rename,
//   which ends a watch on the file itself; the directory watch sees the new file.
// - a debounce (~100 ms): one save is often several events (truncate, write, rename), and reading
//   in between could see half a file.
// - a periodic stat: fs.watch misses changes on some filesystems (network mounts, some container
//   volumes); comparing inode, size and times every second is cheap.
// Content is compared by hash, so a touch or an identical rewrite delivers nothing.
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Snapshot } from '../../model/snapshot.js';
import { ConfigError } from './config-error.js';
import { contentHash, parseSnapshot } from './load-file.js';

export interface SnapshotWatchHandlers {
  onSnapshot(snapshot: Snapshot): void;
  /** The file is unreadable or invalid; called once per distinct bad content, not on every poll. */
  onError(err: ConfigError): void;
}

export interface SnapshotWatchOptions {
  /**
   * Hash of the content the caller already runs (readSnapshotFile's `hash`); it is not delivered
   * again. Omitted: the file's current content is delivered first.
   */
  lastHash?: string;
  /** Quiet time after a change before reading. Default 100. */
  debounceMs?: number;
  /** Period of the stat fallback. Default 1000. */
  pollIntervalMs?: number;
  /** false: polling only, for filesystems where fs.watch is unreliable. Default true. */
  fsWatch?: boolean;
}

export interface SnapshotWatcher {
  close(): void;
}

export function watchSnapshotFile(
  path: string,
  handlers: SnapshotWatchHandlers,
  options: SnapshotWatchOptions = {},
): SnapshotWatcher {
  const debounceMs = options.debounceMs ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  let closed = false;
  /** Content the caller runs. */
  let delivered = options.lastHash;
  /** Last content (or read failure) examined, good or bad: the same thing is never reported twice. */
  let lastSeen = options.lastHash;
  let lastStat: string | undefined;
  let missingRetried = false;
  let debounce: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;

  const schedule = (delay = debounceMs): void => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), delay);
  };

  // Checks never overlap: a change arriving mid-check runs one more check afterwards.
  const check = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await checkOnce();
      } while (again && !closed);
    } finally {
      running = false;
    }
  };

  const checkOnce = async (): Promise<void> => {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      // A writer that deletes then recreates leaves a short gap: look once more before reporting.
      if (code === 'ENOENT' && !missingRetried) {
        missingRetried = true;
        schedule();
        return;
      }
      if (closed || lastSeen === `error:${code}`) return;
      lastSeen = `error:${code}`;
      const reason = code === 'ENOENT' ? 'no such file' : (err as Error).message;
      handlers.onError(new ConfigError(path, [`${path}: cannot read the file: ${reason}`], 'MAILLE_ERR_CONFIG_READ'));
      return;
    }
    missingRetried = false;
    const hash = contentHash(bytes);
    if (closed || hash === lastSeen) return;
    lastSeen = hash;
    let snapshot: Snapshot;
    try {
      snapshot = parseSnapshot(bytes.toString('utf8'), path);
    } catch (err) {
      if (!closed) handlers.onError(err instanceof ConfigError ? err : new ConfigError(path, [`${path}: ${String(err)}`]));
      return;
    }
    if (hash === delivered) return; // back to the content already running (e.g. a reverted edit)
    delivered = hash;
    handlers.onSnapshot(snapshot);
  };

  let dirWatcher = options.fsWatch === false ? undefined : watchDirectory(path, schedule);
  dirWatcher?.on('error', () => {
    dirWatcher?.close(); // e.g. the directory was removed; the poll carries on alone
    dirWatcher = undefined;
  });

  const poll = setInterval(() => {
    void statKey(path).then((key) => {
      if (key === lastStat) return;
      lastStat = key;
      schedule();
    });
  }, pollIntervalMs);

  // First look right away: catches a change made between the caller's load and this watch.
  schedule(0);

  return {
    close(): void {
      closed = true;
      clearTimeout(debounce);
      clearInterval(poll);
      dirWatcher?.close();
    },
  };
}

/** Calls `changed` on events about the file; undefined when the directory cannot be watched. */
function watchDirectory(path: string, changed: () => void): FSWatcher | undefined {
  const name = basename(path);
  try {
    return watch(dirname(resolve(path)), (_event, file) => {
      // `..data` & co: Kubernetes mounts ConfigMaps as symlinks into a directory swapped by rename.
      if (file === null || file === name || file.startsWith('..')) changed();
    });
  } catch {
    return undefined; // no inotify watches left, or no directory yet: polling only
  }
}

/** What changes when the file does (stat follows symlinks, so a swapped target shows too). */
function statKey(path: string): Promise<string> {
  return stat(path).then(
    (s) => `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`,
    (err: NodeJS.ErrnoException) => `error:${err.code ?? 'unknown'}`,
  );
}
