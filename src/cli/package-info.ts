// The package's own metadata. Found by walking up from this file, because it runs both from
// src/cli (tsx) and from dist/src/cli (compiled), at different depths.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  name: string;
  version: string;
  /** Directory holding package.json. */
  root: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'maille' && typeof pkg.version === 'string') {
        cached = { name: pkg.name, version: pkg.version, root: dir };
        return cached;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the maille package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
