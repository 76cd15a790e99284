// The configuration API that `maille apply/get/delete/proxy-status` talk to.
//
// Plain HTTP/1.1 with JSON replies, on loopback only; every call needs `Authorization: Bearer
// <token>` with the random admin token written to `<stateDir>/api.json` (mode 0600), so only the
// user who can read the state directory can change the mesh: no anonymous writes.
//
//   POST   /apply?source=FILE               body: multi-document YAML; all or nothing
//   GET    /resources?kind=&namespace=&name=
//   DELETE /resources/KIND/NAMESPACE/NAME
//   GET    /proxies                          discovery's per-proxy sync status
//   GET    /proxies/NODE_ID/config           the proxy's last snapshot, certificate and trust bundle
//   GET    /ca                               roots, their expiry, the overlap end (maille ca status)
//   POST   /ca/rotate-root                   body {"overlapSeconds": N} (optional); answers once
//                                            issuance uses the new root (maille ca rotate-root)
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findKind } from '../../api/kinds.js';
import { ConfigError, parseResources } from '../../api/load.js';
import { readStateFileIfExists, removeStateFile, SECRET_MODE, writeFileAtomic } from '../ca/state-files.js';
import type { Snapshot } from '../../model/snapshot.js';
import type { CertificateFacts } from '../ca/describe.js';
import type { IssuedRecord } from '../ca/issued-records.js';
import { CaOperationError, type CaStatus, type RotationResult } from '../ca/live-authority.js';
import { readBody } from '../discovery/http-util.js';
import type { ProxyStatus } from '../discovery/types.js';
import { apiFilePath, type ApiEndpoint } from './api-file.js';
import { StoreError, type ResourceStore } from './store.js';

/** Larger than any configuration a person writes; small enough that a mistake cannot eat memory. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** The certificate last issued to a proxy: public facts and chain only, never a key. */
export type CertificateSummary = Omit<IssuedRecord, 'nodeId'>;

/** `GET /proxies/NODE_ID/config`: what `maille proxy-config` and `maille tls-check` read. */
export interface ProxyConfig {
  nodeId: string;
  spiffeId: string;
  /** The snapshot the control plane last computed for the proxy, without private keys. */
  snapshot: Snapshot;
  /** The certificate issued to this proxy; absent until it has asked for one. */
  certificate?: CertificateSummary;
  /**
   * The roots in the last snapshot sent to the proxy (what it trusts once `acknowledged`), or, before
   * any was sent, the mesh's current bundle.
   */
  trustBundle: { roots: number; certificates: CertificateFacts[]; acknowledged: boolean };
}

/** The CA operations of the API (absent: those calls answer 404). */
export interface CaApi {
  status(): CaStatus;
  rotate(overlapMs?: number): Promise<RotationResult>;
}

export interface ApiServerOptions {
  store: ResourceStore;
  proxies(): ProxyStatus[];
  /** Undefined: no such proxy. Omitted: the call answers 404. */
  proxyConfig?(nodeId: string): ProxyConfig | undefined;
  ca?: CaApi;
  /** api.json goes here. */
  stateDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token for tests; random otherwise. */
  token?: string;
}

export interface ApiServer {
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems?: readonly string[],
  ) {
    super(message);
  }
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);
  const authorized = (req: IncomingMessage): boolean => {
    const got = Buffer.from(req.headers.authorization ?? '');
    // Constant time: the token must not leak one byte at a time through response timing.
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'MAILLE_ERR_INTERNAL', `internal error: ${(err as Error).message}`);
      reply(res, e.status, { error: { code: e.code, message: e.message, ...(e.problems ? { problems: e.problems } : {}) } });
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!authorized(req)) {
      // Drain nothing: an unauthenticated body is not worth reading.
      res.setHeader('www-authenticate', 'Bearer');
      throw new HttpError(401, 'MAILLE_ERR_UNAUTHENTICATED', 'missing or wrong admin token (see api.json in the state directory)');
    }
    const url = new URL(req.url ?? '/', 'http://api');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const route = `${req.method} /${parts[0] ?? ''}`;
    if (route === 'POST /apply' && parts.length === 1) {
      const source = url.searchParams.get('source') || 'apply';
      const text = await readRequestBody(req);
      let resources;
      try {
        resources = parseResources(text, source);
      } catch (err) {
        if (err instanceof ConfigError) throw new HttpError(400, err.code, err.message, err.problems);
        throw err;
      }
      try {
        reply(res, 200, { results: await opts.store.apply(resources, source) });
      } catch (err) {
        if (err instanceof ConfigError) throw new HttpError(400, err.code, err.message, err.problems);
        throw err;
      }
    } else if (route === 'GET /resources' && parts.length === 1) {
      const kindName = url.searchParams.get('kind') ?? undefined;
      const kind = kindName === undefined ? undefined : kindOf(kindName);
      const items = opts.store.list({ kind, namespace: url.searchParams.get('namespace') ?? undefined, name: url.searchParams.get('name') ?? undefined });
      reply(res, 200, { items });
    } else if (route === 'DELETE /resources' && parts.length === 4) {
      const [, kindName, namespace, name] = parts;
      try {
        const uncovered = await opts.store.delete(kindOf(kindName), namespace, name);
        reply(res, 200, { deleted: { kind: kindOf(kindName), namespace, name }, ...(uncovered ? { restored: uncovered } : {}) });
      } catch (err) {
        if (err instanceof StoreError) throw new HttpError(err.code === 'MAILLE_ERR_NOT_FOUND' ? 404 : 409, err.code, err.message);
        throw err;
      }
    } else if (route === 'GET /proxies' && parts.length === 1) {
      reply(res, 200, { proxies: opts.proxies() });
    } else if (route === 'GET /proxies' && parts.length === 3 && parts[2] === 'config') {
      const config = opts.proxyConfig?.(parts[1]);
      if (config === undefined) throw new HttpError(404, 'MAILLE_ERR_NOT_FOUND', `no proxy ${JSON.stringify(parts[1])} (see maille proxy-status)`);
      reply(res, 200, config);
    } else if (route === 'GET /ca' && parts.length === 1 && opts.ca) {
      reply(res, 200, opts.ca.status());
    } else if (route === 'POST /ca' && parts.length === 2 && parts[1] === 'rotate-root' && opts.ca) {
      const overlapMs = overlapOf(await readRequestBody(req));
      try {
        reply(res, 200, await opts.ca.rotate(overlapMs));
      } catch (err) {
        if (err instanceof CaOperationError) throw new HttpError(err.status, err.code, err.message);
        throw err;
      }
    } else {
      throw new HttpError(404, 'MAILLE_ERR_NOT_FOUND', `no such call ${req.method} ${url.pathname}`);
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `configuration API: port ${opts.port} on 127.0.0.1 is already in use` : `configuration API: cannot listen: ${err.message}`)),
    );
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const file = apiFilePath(opts.stateDir);
  const endpoint: ApiEndpoint = { url, token, pid: process.pid };
  try {
    await writeFileAtomic(file, `${JSON.stringify(endpoint)}\n`, { mode: SECRET_MODE });
  } catch (err) {
    server.close();
    throw err;
  }

  let closed: Promise<void> | undefined;
  return {
    url,
    token,
    close() {
      closed ??= (async () => {
        // The file goes first: a CLI must not find a control plane that is shutting down. Only if
        // it is still ours: another `maille run` on the same state directory may have replaced it.
        const current = await readStateFileIfExists(file).catch(() => undefined);
        if (current !== undefined && current.includes(JSON.stringify(token))) await removeStateFile(file).catch(() => {});
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}

/** The rotate-root body: empty (default overlap) or {"overlapSeconds": N}. */
function overlapOf(body: string): number | undefined {
  if (body.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'MAILLE_ERR_BAD_REQUEST', 'rotate-root body: not JSON (expected {"overlapSeconds": N})');
  }
  const seconds = (value as { overlapSeconds?: unknown } | null)?.overlapSeconds;
  if (seconds === undefined) return undefined;
  if (typeof seconds !== 'number' || !(seconds > 0) || !Number.isFinite(seconds)) {
    throw new HttpError(400, 'MAILLE_ERR_BAD_REQUEST', 'rotate-root body: overlapSeconds: must be a positive number of seconds');
  }
  return seconds * 1000;
}

function kindOf(name: string): string {
  const info = findKind(name);
  if (!info) throw new HttpError(400, 'MAILLE_ERR_BAD_REQUEST', `unknown kind ${JSON.stringify(name)}`);
  return info.kind;
}

/** A request body of the configuration API, refused past MAX_BODY_BYTES with a 413. */
function readRequestBody(req: IncomingMessage): Promise<string> {
  return readBody(req, MAX_BODY_BYTES, (max) => new HttpError(413, 'MAILLE_ERR_TOO_LARGE', `request body over ${max} bytes`));
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
