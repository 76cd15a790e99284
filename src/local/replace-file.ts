// A file replaced whole (written beside it, then renamed over it): a reader never sees half of it,
// and a launcher that dies mid-write leaves the previous version. Synchronous, for the launcher's
// bookkeeping (tokens, process ledger) done from event callbacks.
import { renameSync, writeFileSync } from 'node:fs';

export function replaceFileSync(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}
