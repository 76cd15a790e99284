// The CLI's side of the configuration API: find the running control plane through
// `<stateDir>/api.json` and call it with the admin token. Errors are one line the user can act on.
import { request } from 'node:http';
import { ConfigError } from '../../api/load.js';
import { readStateFileIfExists } from '../ca/state-files.js';
import type { ProxyStatus } from '../discovery/types.js';
import { apiFilePath, isApiEndpoint, type ApiEndpoint } from './api-file.js';
import type { CaStatus, RotationResult } from '../ca/live-authority.js';
import type { CertificateSummary, ProxyConfig } from './api-server.js';
import type { ApplyOutcome, Origin, StoredResource } from './store.js';

export type { ApplyOutcome, CaStatus, CertificateSummary, Origin, ProxyConfig, RotationResult, StoredResource };

/** The API refused the call; `problems` are the one-line validation errors of a refused apply. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ApiClient {
  private constructor(
    private readonly endpoint: ApiEndpoint,
    private readonly stateDir: string,
  ) {}

  /** The control plane serving `stateDir`, or an error saying how to start one. */
  static async find(stateDir: string): Promise<ApiClient> {
    const file = apiFilePath(stateDir);
    const text = await readStateFileIfExists(file);
    const notRunning = new Error(`no running control plane found in ${stateDir} (start one with maille run -f mesh.yaml)`);
    if (text === undefined) throw notRunning;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`${file}: not valid JSON; remove it and restart maille run`);
    }
    if (!isApiEndpoint(value)) throw new Error(`${file}: not an API endpoint file; remove it and restart maille run`);
    return new ApiClient(value, stateDir);
  }

  async apply(yamlText: string, source: string): Promise<ApplyOutcome[]> {
    const body = (await this.call('POST', `/apply?source=${encodeURIComponent(source)}`, yamlText, source)) as { results: ApplyOutcome[] };
    return body.results;
  }

  async list(filter: { kind?: string; namespace?: string; name?: string }): Promise<StoredResource[]> {
    const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined));
    return ((await this.call('GET', `/resources?${q}`)) as { items: StoredResource[] }).items;
  }

  async delete(kind: string, namespace: string, name: string): Promise<{ restored?: StoredResource }> {
    const path = `/resources/${[kind, namespace, name].map(encodeURIComponent).join('/')}`;
    return (await this.call('DELETE', path)) as { restored?: StoredResource };
  }

  async proxies(): Promise<ProxyStatus[]> {
    return ((await this.call('GET', '/proxies')) as { proxies: ProxyStatus[] }).proxies;
  }

  async proxyConfig(nodeId: string): Promise<ProxyConfig> {
    return (await this.call('GET', `/proxies/${encodeURIComponent(nodeId)}/config`)) as ProxyConfig;
  }

  async caStatus(): Promise<CaStatus> {
    return (await this.call('GET', '/ca')) as CaStatus;
  }

  /** Answers once the control plane issues from the new root (after pushing the bundle to its proxies). */
  async rotateRoot(overlapSeconds?: number): Promise<RotationResult> {
    return (await this.call('POST', '/ca/rotate-root', JSON.stringify(overlapSeconds === undefined ? {} : { overlapSeconds }))) as RotationResult;
  }

  private call(method: string, path: string, body?: string, source = 'control plane'): Promise<unknown> {
    const url = new URL(path, this.endpoint.url);
    return new Promise((resolve, reject) => {
      const req = request(url, { method, agent: false, headers: { authorization: `Bearer ${this.endpoint.token}`, 'content-type': 'application/yaml' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('error', reject);
        res.on('end', () => {
          let parsed: { error?: { code: string; message: string; problems?: string[] } };
          try {
            parsed = JSON.parse(text) as typeof parsed;
          } catch {
            return reject(new Error(`control plane at ${this.endpoint.url} answered ${res.statusCode} with something that is not JSON`));
          }
          const status = res.statusCode ?? 0;
          if (status < 300) return resolve(parsed);
          const e = parsed.error;
          // A refused apply: the same one-line problems `maille analyze` would print, one per line.
          if (e?.problems) return reject(new ConfigError(source, e.problems));
          reject(new ApiError(status, e?.code ?? 'MAILLE_ERR_INTERNAL', e?.message ?? `HTTP ${status}`));
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // api.json outlived its process (killed, crashed): say so instead of ECONNREFUSED.
        if (err.code === 'ECONNREFUSED') reject(new Error(`no running control plane found in ${this.stateDir} (its api.json is stale; start one with maille run -f mesh.yaml)`));
        else reject(new Error(`control plane at ${this.endpoint.url}: ${err.message}`));
      });
      req.end(body);
    });
  }
}
