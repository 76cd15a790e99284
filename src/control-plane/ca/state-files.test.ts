import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SECRET_MODE, StateFileError, readJsonStateFile, readStateFile, readStateFileIfExists, removeStateFile, writeFileAtomic } from './state-files.js';
import { tempDir } from './testing.js';

describe('state files', () => {
  it('writes atomically into new directories, replaces content, and leaves no temp file', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'a/b/c.json');
    await writeFileAtomic(file, '{"v":1}');
    await writeFileAtomic(file, '{"v":2}');
    assert.equal(await readFile(file, 'utf8'), '{"v":2}');
    assert.deepEqual(await readdir(path.dirname(file)), ['c.json']);
    assert.equal((await stat(file)).mode & 0o777, 0o644);
    assert.equal((await stat(path.join(dir, 'a'))).mode & 0o777, 0o700);
  });

  it('gives key files mode 0600 whatever the umask, also when replacing a looser file', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'key.pem');
    await writeFile(file, 'old');
    await chmod(file, 0o666);
    const umask = process.umask(0);
    try {
      await writeFileAtomic(file, 'secret', { mode: SECRET_MODE });
    } finally {
      process.umask(umask);
    }
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await readFile(file, 'utf8'), 'secret');
  });

  it('reports a failed write with the file name and leaves no temp file behind', async (t) => {
    const dir = await tempDir(t);
    // A non-empty directory where the file should go makes the final rename fail.
    const blocked = path.join(dir, 'blocked');
    await mkdir(path.join(blocked, 'child'), { recursive: true });
    await assert.rejects(writeFileAtomic(blocked, 'new'), (err: unknown) => err instanceof StateFileError && err.message.startsWith(`${blocked}: cannot write: `));
    assert.deepEqual(await readdir(dir), ['blocked']);
  });

  it('names the file in read errors', async (t) => {
    const dir = await tempDir(t);
    const missing = path.join(dir, 'missing.pem');
    await assert.rejects(readStateFile(missing), { message: `${missing}: does not exist` });
    assert.equal(await readStateFileIfExists(missing), undefined);
    await assert.rejects(readStateFile(dir), { message: `${dir}: cannot read: illegal operation on a directory` });
    const bad = path.join(dir, 'bad.json');
    await writeFileAtomic(bad, '{oops');
    await assert.rejects(readJsonStateFile(bad), (err: unknown) => err instanceof StateFileError && err.file === bad && /is not valid JSON/.test(err.message));
    await removeStateFile(bad);
    await removeStateFile(bad);
    assert.equal(await readStateFileIfExists(bad), undefined);
  });
});
