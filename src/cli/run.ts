// The CLI's dispatcher: `maille <command> [args]`. Each command lives in commands/<name>.ts and is
// imported only when run, so `maille version` never loads the data plane.
import { ConfigError } from '../proxy/config/config-error.js';
import { ArgsError, wantsHelp } from './args.js';
import type { CliContext, Command } from './command.js';

interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'analyze',
    summary: 'validate configuration files offline and cross-check them (-f FILE…)',
    load: async () => (await import('./commands/analyze.js')).command,
  },
  {
    name: 'apply',
    summary: 'apply resources to the running control plane (-f FILE)',
    load: async () => (await import('./commands/apply.js')).command,
  },
  {
    name: 'ca',
    summary: "show the mesh CA's roots, or rotate the root with an overlap (status | rotate-root)",
    load: async () => (await import('./commands/ca.js')).command,
  },
  {
    name: 'delete',
    summary: 'delete an applied resource (KIND NAME)',
    load: async () => (await import('./commands/delete.js')).command,
  },
  {
    name: 'demo',
    summary: 'run the demo mesh (productpage → reviews v1/v2/v3) with generated traffic',
    load: async () => (await import('./commands/demo.js')).command,
  },
  {
    name: 'get',
    summary: 'list resources of a kind (KIND [NAME])',
    load: async () => (await import('./commands/get.js')).command,
  },
  {
    name: 'proxy',
    summary: 'run a proxy from a snapshot file (--config FILE)',
    load: async () => (await import('./commands/proxy.js')).command,
  },
  {
    name: 'proxy-config',
    summary: "show a proxy's routes, clusters, endpoints or certificate (WORKLOAD routes|clusters|endpoints|secret|all)",
    load: async () => (await import('./commands/proxy-config.js')).command,
  },
  {
    name: 'proxy-status',
    summary: 'list proxies, their config versions and sync state',
    load: async () => (await import('./commands/proxy-status.js')).command,
  },
  {
    name: 'run',
    summary: 'run a whole mesh on this machine (-f mesh.yaml)',
    load: async () => (await import('./commands/run.js')).command,
  },
  {
    name: 'tls-check',
    summary: 'check mTLS between a workload and its destinations (WORKLOAD [SERVICE])',
    load: async () => (await import('./commands/tls-check.js')).command,
  },
  {
    name: 'version',
    summary: 'print the version of maille',
    load: async () => (await import('./commands/version.js')).command,
  },
];

export function usage(): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 'help'.length) + 3;
  return [
    'usage: maille <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'help'.padEnd(width)}list commands, or show one's options: maille help <command>`,
    '',
    "Commands that print data take -o json|yaml. Run 'maille <command> --help' for its options.",
  ];
}

/** Runs one CLI invocation and resolves to its exit code; never throws. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    usage().forEach((l) => ctx.err(l));
    return 1;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    if (rest[0] === undefined) {
      usage().forEach((l) => ctx.out(l));
      return 0;
    }
    const entry = find(rest[0], ctx);
    if (!entry) return 1;
    (await entry.load()).help().forEach((l) => ctx.out(l));
    return 0;
  }
  const entry = find(name === '--version' ? 'version' : name, ctx);
  if (!entry) return 1;
  try {
    const command = await entry.load();
    if (wantsHelp(rest)) {
      command.help().forEach((l) => ctx.out(l));
      return 0;
    }
    return await command.run(rest, ctx);
  } catch (err) {
    printError(ctx, entry.name, err);
    return 1;
  }
}

function find(name: string, ctx: CliContext): CommandEntry | undefined {
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    const names = [...COMMANDS.map((c) => c.name), 'help'].join(', ');
    ctx.err(`maille: unknown command ${JSON.stringify(name)} (commands: ${names})`);
  }
  return entry;
}

/** Every error is `maille: <message>`, one line per problem (a config can have several). */
function printError(ctx: CliContext, command: string, err: unknown): void {
  if (err instanceof ConfigError) {
    err.problems.forEach((line) => ctx.err(`maille: ${line}`));
  } else if (err instanceof ArgsError) {
    ctx.err(`maille: ${command}: ${err.message}; see 'maille ${command} --help'`);
  } else if (err instanceof Error) {
    // Unexpected: keep it on one line, but let MAILLE_DEBUG show where it came from.
    ctx.err(`maille: ${err.message.split('\n')[0]}`);
    if (process.env.MAILLE_DEBUG) ctx.err(err.stack ?? '');
  } else {
    ctx.err(`maille: ${String(err)}`);
  }
}
