// The admin listener: readiness, liveness, config and cluster dumps, metrics, log level.
//
// It can change the proxy's behaviour and shows its whole configuration, so it binds loopback
// only unless told otherwise, and it refuses the two ways a web page in a local browser could
// still reach it: DNS rebinding (a Host header naming some other site) and cross-site POSTs
// (an Origin header from another site).
import net from 'node:net';
import { createAdminHttpServer, type AdminReply, type AdminRequest } from './admin-http.js';
import { LOG_LEVELS, getLogLevel, isLogLevel, setLogLevel, createLogger } from '../telemetry/log.js';

/** What the admin endpoints read; the proxy assembly implements it over its live state. */
export interface AdminSource {
  /** True once a snapshot is applied and listeners accept traffic. */
  ready(): boolean;
  /** `{ version, snapshot }` of the snapshot in force. */
  configDump(): unknown;
  /**
   * One entry per cluster. The text format (`/clusters?format=text`) understands
   * `{ name, endpoints: [{ address, port?, ...primitive fields }] }` and prints a line per endpoint.
   */
  clusters(): unknown[];
  /** Prometheus text exposition format 0.0.4. */
  metricsText(): string;
}

export interface AdminOptions {
  address: string;
  port: number;
  source: AdminSource;
  /** Allow a non-loopback bind address (e.g. a pod IP for a port-forward-less setup). */
  allowNonLoopback?: boolean;
}

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

const log = createLogger('admin');

const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** 127.0.0.0/8, ::1 (any spelling), IPv4-mapped loopback, and the name localhost. */
export function isLoopbackAddress(address: string): boolean {
  let a = address.toLowerCase();
  if (a === 'localhost') return true;
  if (a.startsWith('::ffff:') && net.isIPv4(a.slice(7))) a = a.slice(7);
  if (net.isIPv4(a)) return a.startsWith('127.');
  if (net.isIPv6(a)) return LOOPBACK6.check(a, 'ipv6');
  return false;
}
const LOOPBACK6 = new net.BlockList();
LOOPBACK6.addAddress('::1', 'ipv6');

export async function startAdminServer(opts: AdminOptions): Promise<AdminServer> {
  const { address, port, source } = opts;
  const allowNonLoopback = opts.allowNonLoopback === true;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`admin listener: port must be an integer 0..65535, got ${port}`);
  }
  const loopback = isLoopbackAddress(address);
  if (!loopback && !allowNonLoopback) {
    throw Object.assign(
      new Error(
        `admin listener refused to bind ${address}: it is not a loopback address. The admin API shows the whole ` +
          `configuration and changes the log level, so it listens on 127.0.0.1 or ::1 only; ` +
          `set allowNonLoopback to expose it anyway.`,
      ),
      { code: 'MAILLE_ERR_ADMIN_NOT_LOOPBACK' },
    );
  }

  const { server, close } = createAdminHttpServer((req) => {
    try {
      return handle(req, source, loopback && !allowNonLoopback);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      log.error('admin request failed', { path: req.target, err: msg });
      return reply(500, TEXT, `admin: ${req.target} failed: ${msg}\n`);
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(Object.assign(new Error(`admin listener could not bind ${address}:${port}: ${err.message}`), { code: err.code }));
    };
    server.once('error', onError);
    server.listen(port, address, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error('admin listener error', { err }));

  const bound = server.address() as net.AddressInfo;
  log.info('admin listening', { address: bound.address, port: bound.port });
  return { port: bound.port, close };
}

// ---------------------------------------------------------------------------------------------

interface Endpoint {
  methods: readonly string[];
  about: string;
  run(req: AdminRequest, query: URLSearchParams, source: AdminSource): AdminReply;
}

const GET = ['GET', 'HEAD'] as const;

const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  '/': {
    methods: GET,
    about: 'this list',
    run: () => reply(200, TEXT, index()),
  },
  '/ready': {
    methods: GET,
    about: '200 "ready" when a snapshot is applied and listeners serve, else 503',
    run: (_req, _q, src) => (src.ready() ? reply(200, TEXT, 'ready\n') : reply(503, TEXT, 'not ready\n')),
  },
  '/healthz': {
    methods: GET,
    about: '200 "ok" while the process lives',
    run: () => reply(200, TEXT, 'ok\n'),
  },
  '/config_dump': {
    methods: GET,
    about: 'JSON {version, snapshot} of the snapshot in force',
    run: (_req, _q, src) => reply(200, JSON_TYPE, JSON.stringify(src.configDump() ?? null, null, 2) + '\n'),
  },
  '/clusters': {
    methods: GET,
    about: 'clusters and endpoints with health and ejection state (JSON; ?format=text for a line per endpoint)',
    run: (_req, q, src) => {
      const format = q.get('format') ?? 'json';
      if (format === 'json') return reply(200, JSON_TYPE, JSON.stringify(src.clusters(), null, 2) + '\n');
      if (format === 'text') return reply(200, TEXT, clustersText(src.clusters()));
      return reply(400, TEXT, `unknown format "${format}": use json or text\n`);
    },
  },
  '/stats/prometheus': {
    methods: GET,
    about: 'metrics in Prometheus text format 0.0.4',
    run: (_req, _q, src) => reply(200, PROM_CONTENT_TYPE, src.metricsText()),
  },
  '/logging': {
    methods: ['GET', 'HEAD', 'POST'],
    about: `the log level; POST /logging?level=LEVEL sets it (${LOG_LEVELS.join(', ')})`,
    run: (req, q) => {
      if (req.method === 'POST') {
        const level = q.get('level');
        if (!isLogLevel(level)) {
          const got = level === null ? 'no level parameter' : `unknown level "${level}"`;
          return reply(400, TEXT, `${got}: use POST /logging?level=LEVEL with one of ${LOG_LEVELS.join(', ')}\n`);
        }
        const previous = getLogLevel();
        setLogLevel(level);
        log.info('log level changed', { from: previous, to: level });
      }
      return reply(200, JSON_TYPE, JSON.stringify({ level: getLogLevel(), levels: LOG_LEVELS }) + '\n');
    },
  },
};

function handle(req: AdminRequest, source: AdminSource, checkHost: boolean): AdminReply {
  const host = req.headers.get('host');
  if (checkHost && !hostIsLocal(host)) {
    return reply(403, TEXT, `host "${host ?? ''}" refused: the admin API answers loopback names and IP addresses only\n`);
  }
  // Split by hand: `new URL` would read "//x" as a host and throws on odd request targets.
  const target = req.target;
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
  const endpoint = Object.prototype.hasOwnProperty.call(ENDPOINTS, path) ? ENDPOINTS[path] : undefined;
  if (endpoint === undefined) {
    return reply(404, TEXT, `no admin endpoint ${path}; GET / lists them\n`);
  }
  const method = req.method;
  if (!endpoint.methods.includes(method)) {
    const r = reply(405, TEXT, `${method} not allowed on ${path}: use ${endpoint.methods.join(' or ')}\n`);
    r.headers.allow = endpoint.methods.join(', ');
    return r;
  }
  if (method === 'POST' && crossSite(req)) {
    return reply(403, TEXT, `cross-site ${method} refused: send it from a local client (curl, maille) without an Origin header\n`);
  }
  return endpoint.run(req, query, source);
}

function reply(status: number, contentType: string, body: string): AdminReply {
  return {
    status,
    headers: { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body,
  };
}

function index(): string {
  let s = 'maille admin endpoints:\n';
  for (const [path, e] of Object.entries(ENDPOINTS)) {
    s += `  ${e.methods.filter((m) => m !== 'HEAD').join(',').padEnd(8)} ${path.padEnd(18)} ${e.about}\n`;
  }
  return s;
}

/** DNS rebinding needs a host name; IP literals and localhost cannot be rebound by a web page. */
function hostIsLocal(host: string | undefined): boolean {
  if (host === undefined) return true; // HTTP/1.0 clients; browsers always send Host.
  let name = host.toLowerCase();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    name = end < 0 ? name : name.slice(1, end);
  } else {
    const colon = name.lastIndexOf(':');
    if (colon >= 0) name = name.slice(0, colon);
  }
  return net.isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost');
}

function crossSite(req: AdminRequest): boolean {
  if (req.headers.get('sec-fetch-site') === 'cross-site') return true;
  const origin = req.headers.get('origin');
  if (origin === undefined) return false;
  try {
    const h = new URL(origin).hostname.replace(/^\[|\]$/g, '');
    return !isLoopbackAddress(h);
  } catch {
    return true; // "null" and other opaque origins
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `cluster::address:port::key=value …`, a line per endpoint, for people and grep. */
function clustersText(clusters: unknown[]): string {
  let s = '';
  for (const c of clusters) {
    if (!isRecord(c) || typeof c.name !== 'string' || !Array.isArray(c.endpoints)) {
      s += JSON.stringify(c) + '\n';
      continue;
    }
    if (c.endpoints.length === 0) s += `${c.name}::(no endpoints)\n`;
    for (const ep of c.endpoints) {
      if (!isRecord(ep)) {
        s += `${c.name}::${JSON.stringify(ep)}\n`;
        continue;
      }
      const host = typeof ep.address === 'string' ? (ep.address.includes(':') ? `[${ep.address}]` : ep.address) : '?';
      const addr = ep.port !== undefined ? `${host}:${String(ep.port)}` : host;
      let attrs = '';
      for (const [k, v] of Object.entries(ep)) {
        if (k === 'address' || k === 'port') continue;
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attrs += ` ${k}=${String(v)}`;
      }
      s += `${c.name}::${addr}::${attrs.trimStart()}\n`;
    }
  }
  return s;
}
