// Data output for `-o json|yaml`: one place, so every command prints data the same way.
import { stringify } from 'yaml';
import type { CliContext } from './command.js';

export type OutputFormat = 'json' | 'yaml';

export function printData(ctx: CliContext, format: OutputFormat, data: unknown): void {
  ctx.out(format === 'json' ? JSON.stringify(data, null, 2) : stringify(data).trimEnd());
}
