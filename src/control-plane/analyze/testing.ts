// Test helpers: files written to a temp dir (findings name real paths), analyzed as the command does.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from './analyze.js';
import { formatFinding } from './format.js';

export class TempFiles {
  readonly dir = mkdtempSync(join(tmpdir(), 'maille-analyze-'));

  write(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The text lines `maille analyze` prints for these files, summary excluded. */
export function analyzeLines(...paths: string[]): string[] {
  return analyze(paths.map((file) => ({ file, text: readFileSync(file, 'utf8') }))).map(formatFinding);
}

/** A Mesh with reviews v1/v2 and a client, in namespace default: the world the checks compare against. */
export const MESH = `apiVersion: maille.dev/v1alpha1
kind: Mesh
metadata: {name: demo}
spec:
  services:
    - name: reviews
      port: 9080
      workloads:
        - {version: v1, command: "true"}
        - {version: v2, command: "true"}
    - name: client
      port: 8080
      workloads:
        - {version: v1, command: "true"}
`;
