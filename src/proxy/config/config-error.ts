// ConfigError: a configuration was rejected. One line per problem, each naming the source (a file
// name, or "control plane"), the field path and what is allowed, so a person can act on it and
// tests can assert exact lines. The code is stable so callers (CLI, discovery NACKs) can branch on
// it without parsing messages.

export type ConfigErrorCode =
  /** The content parsed but breaks the schema or a rule the schema cannot express. */
  | 'MAILLE_ERR_CONFIG'
  /** The file is not valid YAML/JSON. */
  | 'MAILLE_ERR_CONFIG_SYNTAX'
  /** The file could not be read (missing, unreadable). */
  | 'MAILLE_ERR_CONFIG_READ';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  /** What was being read, as the user named it (e.g. "proxy.yaml"). */
  readonly source: string;
  /** Complete lines, each starting with the source; `message` is these joined by newlines. */
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[], code: ConfigErrorCode = 'MAILLE_ERR_CONFIG') {
    // A problem text must never span lines: callers print and match one line per problem.
    const lines = problems.map((p) => p.replace(/\r?\n/g, ' '));
    super(lines.join('\n'));
    this.code = code;
    this.source = source;
    this.problems = lines;
  }
}
