// Helpers for CLI tests: a context that records output, and waiting for a condition.
import { EventEmitter } from 'node:events';
import type { CliContext } from './command.js';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { packageInfo } from './package-info.js';

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

/** What a `maille` process printed and how it exited. */
export interface MailleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the real CLI from the TypeScript entry through tsx (no build needed), at the package root. */
export function startMaille(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: packageInfo().root });
}

/** Runs the real CLI to the end (killed after 30 s, a bound, not an expectation). */
export function runMaille(args: string[]): Promise<MailleRun> {
  return new Promise((resolve, reject) => {
    const child = startMaille(args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
