// A Mesh's spec.credentials: the certificates Gateways name by `credentialName` (Istio reads a
// Kubernetes TLS secret of that name; local mode reads two files, and a third, the CA bundle of
// the secret's ca.crt, for MUTUAL servers). Relative paths are resolved
// against the mesh file's directory, so a mesh file and its certificates move together; both
// files are read once here so a wrong path stops `maille run` before anything starts.
import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Mesh } from '../api/mesh.js';
import type { GatewayCredential } from '../control-plane/translate/index.js';
import { formatPath } from '../proxy/config/path.js';

export function meshCredentials(mesh: Mesh, meshFile: string, baseDir: string): Record<string, GatewayCredential> {
  const out: Record<string, GatewayCredential> = {};
  for (const [name, c] of Object.entries(mesh.spec.credentials ?? {})) {
    const files: { certFile: string; keyFile: string; caCertFile?: string } = { certFile: c.certFile, keyFile: c.keyFile };
    for (const field of ['certFile', 'keyFile', 'caCertFile'] as const) {
      const written = c[field];
      if (written === undefined) continue;
      const path = isAbsolute(written) ? written : resolve(baseDir, written);
      try {
        accessSync(path, constants.R_OK);
      } catch (err) {
        const at = formatPath(['spec', 'credentials', name, field]);
        throw new Error(`${meshFile}: ${at}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      files[field] = path;
    }
    out[name] = files;
  }
  return out;
}
