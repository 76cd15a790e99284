// Atomic files for the state directory (DESIGN §3: "written atomically, reloaded on restart").
// A reader — this process after a crash, or `maille get` next door — must see either the old
// content or the new one, never a half-written file. So: write a temp file in the same directory
// (rename is only atomic within one file system), fsync it so its bytes are on disk before the name
// points at it, rename over the target, then fsync the directory so the rename itself survives a
// power cut.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Mode for private keys and anything else only the control plane's user may read. */
export const SECRET_MODE = 0o600;
/** Mode for certificates, bundles and other public state. */
export const PUBLIC_MODE = 0o644;

export class StateFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
    this.name = 'StateFileError';
  }
}

export interface WriteOptions {
  /** File mode; SECRET_MODE for keys. Defaults to PUBLIC_MODE. */
  mode?: number;
}

/** Write `data` to `file` atomically, creating parent directories (mode 0700) as needed. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const mode = options.mode ?? PUBLIC_MODE;
  const dir = path.dirname(file);
  // 0700: the directory holds keys; its listing is nobody else's business either.
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    // 'wx': never follow or reuse an existing file; the mode applies from creation on, so a key is
    // never readable by others even for an instant.
    handle = await fs.open(tmp, 'wx', mode);
    await handle.writeFile(data);
    // The umask may have removed bits from the requested mode; set it exactly.
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, file);
  } catch (err) {
    await handle?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw new StateFileError(file, `cannot write: ${errorText(err)}`, { cause: err });
  }
  await syncDirectory(dir);
}

/** Read a UTF-8 state file; a missing or unreadable file is an error that names it. */
export async function readStateFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) throw new StateFileError(file, 'does not exist', { cause: err });
    throw new StateFileError(file, `cannot read: ${errorText(err)}`, { cause: err });
  }
}

/** Like readStateFile, but undefined when the file does not exist (first start). */
export async function readStateFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new StateFileError(file, `cannot read: ${errorText(err)}`, { cause: err });
  }
}

/** Read and parse a JSON state file; a syntax error names the file. */
export async function readJsonStateFile(file: string): Promise<unknown> {
  const text = await readStateFile(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new StateFileError(file, `is not valid JSON: ${errorText(err)}`, { cause: err });
  }
}

/** Remove a state file (no error when it is already gone), durably. */
export async function removeStateFile(file: string): Promise<void> {
  try {
    await fs.rm(file, { force: true });
  } catch (err) {
    throw new StateFileError(file, `cannot remove: ${errorText(err)}`, { cause: err });
  }
  await syncDirectory(path.dirname(file));
}

async function syncDirectory(dir: string): Promise<void> {
  // Some file systems refuse fsync on a directory (EINVAL/EISDIR); the rename is still atomic there,
  // only its durability across a power cut is up to the file system.
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort, see above
  } finally {
    await handle?.close().catch(() => {});
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function errorText(err: unknown): string {
  // Node's messages read "EACCES: permission denied, open '/path'"; the caller already names the
  // file, so keep only the description.
  const message = err instanceof Error ? err.message : String(err);
  return /^[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
}
