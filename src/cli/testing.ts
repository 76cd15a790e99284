// Helpers for CLI tests: a context that records output, and waiting for a condition.
import { EventEmitter } from 'node:events';
import type { CliContext } from './command.js';

export interface RecordingContext extends CliContext {
  stdout: string[];
  stderr: string[];
  /** Emit 'SIGTERM' / 'SIGINT' here to signal the command. */
  signals: EventEmitter;
}

export function recordingContext(): RecordingContext {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), signals: new EventEmitter() };
}

export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
