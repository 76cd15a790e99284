// `<stateDir>/api.json`: how the CLI finds the running control plane's API (DESIGN §3), and the
// admin token it must present. Mode 0600: whoever can read it can change the mesh.
import { join } from 'node:path';

export const API_FILE = 'api.json';

export interface ApiEndpoint {
  /** http://127.0.0.1:PORT */
  url: string;
  token: string;
  /** Of the process serving it: tells a stale file from a live one in messages. */
  pid: number;
}

export function apiFilePath(stateDir: string): string {
  return join(stateDir, API_FILE);
}

export function isApiEndpoint(value: unknown): value is ApiEndpoint {
  const v = value as Partial<ApiEndpoint> | null;
  return typeof v === 'object' && v !== null && typeof v.url === 'string' && typeof v.token === 'string' && typeof v.pid === 'number';
}
