// A small argument parser, declared per command: `--name value`, `--name=value`, boolean flags,
// short aliases (`-o json`, `-ojson`), `--` to end options, and `--help`/`-h` everywhere.
// Values are validated here (integers, ranges, choices, required), so every command gets the same
// clear errors and a typed result without a dependency.

export class ArgsError extends Error {
  override readonly name = 'ArgsError';
  readonly code = 'MAILLE_ERR_USAGE';
}

interface BaseOption {
  description: string;
  /** One-letter alias, without the dash. */
  short?: string;
}
export interface StringOption extends BaseOption {
  type: 'string';
  /** Shown in help: `--config FILE`. */
  valueName?: string;
  choices?: readonly string[];
  default?: string;
  required?: boolean;
}
export interface IntegerOption extends BaseOption {
  type: 'integer';
  valueName?: string;
  min?: number;
  max?: number;
  default?: number;
  required?: boolean;
}
export interface BooleanOption extends BaseOption {
  type: 'boolean';
}
export type OptionSpec = StringOption | IntegerOption | BooleanOption;
export type OptionSpecs = Record<string, OptionSpec>;

/** An option with a default or `required` always has a value; others may be undefined. */
type Always<O> = O extends { default: unknown } ? true : O extends { required: true } ? true : false;
type Scalar<O> = O extends { type: 'integer' }
  ? number
  : O extends { choices: readonly (infer C extends string)[] }
    ? C
    : string;
type ValueOf<O> = O extends { type: 'boolean' } ? boolean : Always<O> extends true ? Scalar<O> : Scalar<O> | undefined;
export type ParsedOptions<S extends OptionSpecs> = { [K in keyof S]: ValueOf<S[K]> };

export interface ParsedArgs<S extends OptionSpecs> {
  options: ParsedOptions<S>;
  positionals: string[];
  /** `--help` or `-h` was given: nothing else was validated. */
  help: boolean;
}

export interface ParseSettings {
  /** Positional arguments accepted; default 0 (any positional is an error). */
  maxPositionals?: number;
}

/** `--help` or `-h` among the options (not after `--`). The dispatcher answers it for every command. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const optionPart = end === -1 ? argv : argv.slice(0, end);
  return optionPart.includes('--help') || optionPart.includes('-h');
}

export function parseArgs<const S extends OptionSpecs>(
  argv: readonly string[],
  specs: S,
  settings: ParseSettings = {},
): ParsedArgs<S> {
  if (wantsHelp(argv)) return { options: {} as ParsedOptions<S>, positionals: [], help: true };

  const raw = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const { name, inline } = splitOption(arg, specs);
    const spec = specs[name];
    if (raw.has(name)) throw new ArgsError(`--${name} is given more than once`);
    if (spec.type === 'boolean') {
      raw.set(name, inline ?? true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      // "--config --admin-port 1" is a forgotten value, not a file named "--admin-port".
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new ArgsError(`--${name} needs a value${spec.valueName ? ` (${spec.valueName})` : ''}`);
      }
      value = next;
      i++;
    }
    raw.set(name, value);
  }

  const max = settings.maxPositionals ?? 0;
  if (positionals.length > max) throw new ArgsError(`unexpected argument ${JSON.stringify(positionals[max])}`);

  const options: Record<string, string | number | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(specs)) options[name] = convert(name, spec, raw.get(name));
  return { options: options as ParsedOptions<S>, positionals, help: false };
}

/** `--name=value` → name and inline value; `-o` / `-ojson` → the long name of the alias. */
function splitOption(arg: string, specs: OptionSpecs): { name: string; inline: string | undefined } {
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!Object.hasOwn(specs, name)) throw new ArgsError(`unknown option --${name} (${allowed(specs)})`);
    return { name, inline: eq === -1 ? undefined : arg.slice(eq + 1) };
  }
  const letter = arg.slice(1, 2);
  const name = Object.keys(specs).find((k) => specs[k].short === letter);
  if (name === undefined) throw new ArgsError(`unknown option -${letter} (${allowed(specs)})`);
  let rest = arg.slice(2);
  if (rest.startsWith('=')) rest = rest.slice(1);
  if (specs[name].type === 'boolean' && rest !== '') throw new ArgsError(`-${letter} takes no value (got "${rest}")`);
  return { name, inline: rest === '' ? undefined : rest };
}

function convert(name: string, spec: OptionSpec, value: string | true | undefined): string | number | boolean | undefined {
  const flag = `--${name}`;
  if (spec.type === 'boolean') {
    if (value === undefined) return false;
    if (value === true || value === 'true') return true;
    if (value === 'false') return false;
    throw new ArgsError(`${flag} is a flag: give it alone, or as ${flag}=true|false (got "${value}")`);
  }
  if (value === undefined || value === true) {
    if (spec.required) throw new ArgsError(`${flag}${spec.valueName ? ` ${spec.valueName}` : ''} is required`);
    return spec.default;
  }
  if (spec.type === 'integer') {
    const n = /^-?[0-9]+$/.test(value) ? Number(value) : NaN;
    const min = spec.min ?? Number.MIN_SAFE_INTEGER;
    const max = spec.max ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new ArgsError(`${flag} must be an integer${range(spec)} (got "${value}")`);
    }
    return n;
  }
  if (spec.choices && !spec.choices.includes(value)) {
    throw new ArgsError(`${flag} must be one of ${spec.choices.join(', ')} (got "${value}")`);
  }
  if (value === '') throw new ArgsError(`${flag} must not be empty`);
  return value;
}

function range(spec: IntegerOption): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return ` >= ${spec.min}`;
  if (spec.max !== undefined) return ` <= ${spec.max}`;
  return '';
}

function allowed(specs: OptionSpecs): string {
  const names = Object.keys(specs).map((k) => `--${k}`);
  return `options: ${[...names, '--help'].join(', ')}`;
}

/** Help lines for a command's options, aligned. */
export function formatOptions(specs: OptionSpecs): string[] {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const value = spec.type === 'boolean' ? '' : ` ${spec.type === 'string' && spec.choices ? spec.choices.join('|') : (spec.valueName ?? 'VALUE')}`;
    const left = `${spec.short ? `-${spec.short}, ` : ''}--${name}${value}`;
    const notes: string[] = [];
    if (spec.type !== 'boolean' && spec.required) notes.push('required');
    if (spec.type !== 'boolean' && spec.default !== undefined) notes.push(`default ${spec.default}`);
    return { left, right: spec.description + (notes.length > 0 ? ` (${notes.join(', ')})` : '') };
  });
  rows.push({ left: '-h, --help', right: 'show this help' });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  return rows.map((r) => `  ${r.left.padEnd(width)}${r.right}`);
}

/** The shared `-o json|yaml` option of commands that print data. */
export const outputOption = {
  type: 'string',
  short: 'o',
  choices: ['json', 'yaml'],
  description: 'print data as JSON or YAML instead of text',
} as const satisfies StringOption;
