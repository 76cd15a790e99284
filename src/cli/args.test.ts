import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgsError, formatOptions, outputOption, parseArgs, type OptionSpecs } from './args.js';

const specs = {
  config: { type: 'string', valueName: 'FILE', required: true, description: 'the file' },
  port: { type: 'integer', valueName: 'N', min: 0, max: 65535, default: 15000, description: 'a port' },
  level: { type: 'string', choices: ['debug', 'info'], default: 'info', description: 'a level' },
  name: { type: 'string', description: 'optional' },
  verbose: { type: 'boolean', short: 'v', description: 'more' },
  output: outputOption,
} as const satisfies OptionSpecs;

function fails(argv: string[], message: string, max?: number): void {
  assert.throws(() => parseArgs(argv, specs, { maxPositionals: max }), (err: unknown) => {
    assert.ok(err instanceof ArgsError);
    assert.equal(err.code, 'MAILLE_ERR_USAGE');
    assert.equal(err.message, message);
    return true;
  });
}

describe('parseArgs', () => {
  it('applies defaults and types the result', () => {
    const { options, positionals, help } = parseArgs(['--config', 'a.yaml'], specs);
    assert.deepEqual(options, { config: 'a.yaml', port: 15000, level: 'info', name: undefined, verbose: false, output: undefined });
    assert.deepEqual(positionals, []);
    assert.equal(help, false);
    // compile-time: these are the narrow types
    const level: 'debug' | 'info' = options.level;
    const port: number = options.port;
    assert.equal(`${level}${port}`, 'info15000');
  });

  it('takes --name value, --name=value, flags and short options', () => {
    const { options } = parseArgs(['--config=a=b.yaml', '--port', '0', '-v', '-ojson', '--level=debug', '--name', '-'], specs);
    assert.deepEqual(options, { config: 'a=b.yaml', port: 0, level: 'debug', name: '-', verbose: true, output: 'json' });
    assert.equal(parseArgs(['--config', 'x', '-o', 'yaml'], specs).options.output, 'yaml');
    assert.equal(parseArgs(['--config', 'x', '--verbose=false'], specs).options.verbose, false);
  });

  it('stops at -- and counts positionals', () => {
    const { options, positionals } = parseArgs(['a', '--config', 'x', '--', '--port', 'b'], specs, { maxPositionals: 3 });
    assert.equal(options.port, 15000);
    assert.deepEqual(positionals, ['a', '--port', 'b']);
  });

  it('answers --help and -h without validating', () => {
    assert.equal(parseArgs(['--port', 'nope', '-h'], specs).help, true);
    assert.equal(parseArgs(['--help'], specs).help, true);
  });

  it('rejects bad input with a clear message', () => {
    fails([], '--config FILE is required');
    fails(['--config'], '--config needs a value (FILE)');
    fails(['--config', '--port', '1'], '--config needs a value (FILE)');
    fails(['--config', 'x', '--prot', '1'], 'unknown option --prot (options: --config, --port, --level, --name, --verbose, --output, --help)');
    fails(['--config', 'x', '-x'], 'unknown option -x (options: --config, --port, --level, --name, --verbose, --output, --help)');
    fails(['--config', 'x', '--port', 'abc'], '--port must be an integer from 0 to 65535 (got "abc")');
    fails(['--config', 'x', '--port', '65536'], '--port must be an integer from 0 to 65535 (got "65536")');
    fails(['--config', 'x', '--port', '1.5'], '--port must be an integer from 0 to 65535 (got "1.5")');
    fails(['--config', 'x', '--level', 'trace'], '--level must be one of debug, info (got "trace")');
    fails(['--config', 'x', '-o', 'xml'], '--output must be one of json, yaml (got "xml")');
    fails(['--config', 'x', '--verbose=yes'], '--verbose is a flag: give it alone, or as --verbose=true|false (got "yes")');
    fails(['--config', 'x', '-vv'], '-v takes no value (got "v")');
    fails(['--config', 'x', '--config', 'y'], '--config is given more than once');
    fails(['--config', ''], '--config must not be empty');
    fails(['--config', 'x', 'extra'], 'unexpected argument "extra"');
    fails(['--config', 'x', 'a', 'b'], 'unexpected argument "b"', 1);
  });

  it('formats help lines', () => {
    assert.deepEqual(formatOptions({ config: specs.config, port: specs.port, verbose: specs.verbose, output: outputOption }), [
      '  --config FILE           the file (required)',
      '  --port N                a port (default 15000)',
      '  -v, --verbose           more',
      '  -o, --output json|yaml  print data as JSON or YAML instead of text',
      '  -h, --help              show this help',
    ]);
  });
});
