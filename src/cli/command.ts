// The shape of a command, and what it may touch of the outside world. Commands write through
// CliContext instead of process.stdout so tests can run them in-process and read what they printed.
export interface SignalSource {
  once(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

export interface CliContext {
  /** One line of output (data), newline added. */
  out(line: string): void;
  /** One line of diagnostics, newline added. */
  err(line: string): void;
  signals: SignalSource;
}

export const processContext: CliContext = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  signals: process,
};

export interface Command {
  /** Help lines (usage and options) for `maille <command> --help`. */
  help(): string[];
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: readonly string[], ctx: CliContext): Promise<number>;
}
