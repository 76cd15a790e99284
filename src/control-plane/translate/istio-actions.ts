// The parts of a VirtualService http rule besides its matches and destinations: header edits,
// fault injection, redirect, direct response, rewrite. Each returns the snapshot's shape, or
// undefined (with a report) for what the proxy cannot do.
import { GRPC_STATUS_NAMES, type VirtualServiceHttpRoute } from '../../api/virtual-service.js';
import type { DirectResponse, Fault, HeaderMutation, RedirectAction } from '../../model/snapshot.js';
import { ms } from './policies.js';
import { isHeaderName, isHeaderValue } from './proxy-rules.js';

/** `report(field, message)`: field is relative to the object being translated. */
export type Report = (field: string, message: string) => void;

type HeaderOperations = NonNullable<NonNullable<VirtualServiceHttpRoute['headers']>['request']>;

/**
 * Istio header operations → a HeaderMutation, plus the authority when the operations set
 * `host` / `:authority` (Istio turns that into a host rewrite, since those are not plain headers).
 */
export function headerMutation(ops: HeaderOperations | undefined, report: Report): { mutation?: HeaderMutation; authority?: string } {
  if (ops === undefined) return {};
  let authority: string | undefined;
  const out: HeaderMutation = {};
  for (const kind of ['set', 'add'] as const) {
    const map: Record<string, string> = {};
    for (const [name, value] of Object.entries(ops[kind] ?? {})) {
      const lower = name.toLowerCase();
      if (lower === 'host' || lower === ':authority') {
        // Istio: `set` wins over `add`.
        if (kind === 'set' || authority === undefined) authority = value;
      } else if (!isHeaderName(name)) report(`${kind}.${name}`, 'not a header name the proxy can set; ignored');
      else if (!isHeaderValue(value)) report(`${kind}.${name}`, 'a header value must not contain CR, LF or NUL; ignored');
      else map[lower] = value;
    }
    if (Object.keys(map).length > 0) out[kind] = map;
  }
  const remove = (ops.remove ?? []).filter((name) => {
    if (name.startsWith(':') || name.toLowerCase() === 'host') return false; // Istio drops these too
    if (isHeaderName(name)) return true;
    report('remove', `${JSON.stringify(name)} is not a header name; ignored`);
    return false;
  });
  if (remove.length > 0) out.remove = remove.map((n) => n.toLowerCase());
  return { ...(Object.keys(out).length > 0 ? { mutation: out } : {}), ...(authority !== undefined ? { authority } : {}) };
}

/**
 * Istio injects a fault into no request when its percentage is left out (Envoy reads a missing
 * fraction as 0 %), so that is kept, and said, since it is rarely what the author meant.
 */
export function fault(f: VirtualServiceHttpRoute['fault'], report: Report): Fault | undefined {
  if (f === undefined) return undefined;
  const out: Fault = {};
  if (f.delay !== undefined) {
    if (f.delay.fixedDelay === undefined) {
      report('delay.exponentialDelay', 'exponential delays are not supported (nor by Istio); the delay is skipped');
    } else {
      const percent = f.delay.percentage?.value ?? f.delay.percent;
      if (percent === undefined) report('delay', 'no percentage: no request is delayed (Istio\'s default); set percentage.value');
      out.delay = { fixedMs: ms(f.delay.fixedDelay), percent: percent ?? 0 };
    }
  }
  if (f.abort !== undefined) {
    const percent = f.abort.percentage?.value;
    if (f.abort.http2Error !== undefined) {
      report('abort.http2Error', 'aborting with an HTTP/2 error is not supported; the abort is skipped');
    } else {
      if (percent === undefined) report('abort', 'no percentage: no request is aborted (Istio\'s default); set percentage.value');
      if (f.abort.httpStatus !== undefined) out.abort = { httpStatus: f.abort.httpStatus, percent: percent ?? 0 };
      else if (f.abort.grpcStatus !== undefined) out.abort = { grpcStatus: GRPC_STATUS_NAMES.indexOf(f.abort.grpcStatus), percent: percent ?? 0 };
    }
  }
  return out.delay !== undefined || out.abort !== undefined ? out : undefined;
}

const REDIRECT_CODES = [301, 302, 303, 307, 308] as const;

/** undefined when the redirect cannot be given (the caller skips the rule). */
export function redirect(r: NonNullable<VirtualServiceHttpRoute['redirect']>, requestPort: number | undefined, report: Report): RedirectAction | undefined {
  const status = r.redirectCode ?? 301;
  if (!(REDIRECT_CODES as readonly number[]).includes(status)) {
    report('redirectCode', `${status} is not supported (301, 302, 303, 307 or 308); the rule is skipped`);
    return undefined;
  }
  const out: RedirectAction = {};
  if (r.scheme !== undefined && r.scheme !== '') out.scheme = r.scheme;
  if (r.authority !== undefined && r.authority !== '') out.host = r.authority;
  // FROM_REQUEST_PORT: Istio writes the port the route serves; FROM_PROTOCOL_DEFAULT writes
  // none, which the proxy also does for 80/443 (a default port is never written).
  const port = r.port ?? (r.derivePort === 'FROM_REQUEST_PORT' ? requestPort : undefined);
  if (port !== undefined) out.port = port;
  if (r.uri !== undefined && r.uri !== '') out.path = r.uri;
  out.status = status as RedirectAction['status'];
  return out;
}

export function directResponse(d: NonNullable<VirtualServiceHttpRoute['directResponse']>): DirectResponse {
  if (d.body === undefined) return { status: d.status };
  // Bytes arrive base64-encoded; the snapshot carries the body as text.
  const body = 'string' in d.body ? d.body.string : Buffer.from(d.body.bytes, 'base64').toString('utf8');
  return { status: d.status, body };
}

/**
 * Istio's rewrite.uri replaces the matched prefix for a prefix match and the whole path
 * otherwise: exactly the proxy's `pathPrefix`, so it maps one to one.
 */
export function rewrite(rw: VirtualServiceHttpRoute['rewrite'], report: Report): { pathPrefix?: string; authority?: string } {
  if (rw === undefined) return {};
  if (rw.uriRegexRewrite !== undefined) report('uriRegexRewrite', 'regex rewrites are not supported by the proxy yet; the path is not rewritten');
  return {
    ...(rw.uri !== undefined && rw.uri !== '' ? { pathPrefix: rw.uri } : {}),
    ...(rw.authority !== undefined && rw.authority !== '' ? { authority: rw.authority } : {}),
  };
}
