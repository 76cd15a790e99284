// Gateway API filters → parts of a route: header edits, mirrors, redirect, URL rewrite.
import type { HTTPRouteFilter } from '../../api/http-route.js';
import type { HeaderMutation, RedirectAction } from '../../model/snapshot.js';
import { isHeaderName, isHeaderValue } from './proxy-rules.js';

type HeaderModifier = NonNullable<HTTPRouteFilter['requestHeaderModifier']>;
type PathModifier = NonNullable<NonNullable<HTTPRouteFilter['urlRewrite']>['path']>;
export type MirrorFilter = NonNullable<HTTPRouteFilter['requestMirror']>;
/** GRPCRoute's filters are a subset of HTTPRoute's. */
export type AnyFilter = Pick<HTTPRouteFilter, 'type' | 'requestHeaderModifier' | 'responseHeaderModifier' | 'requestMirror' | 'extensionRef'> &
  Partial<Pick<HTTPRouteFilter, 'requestRedirect' | 'urlRewrite'>>;

export interface FilterParts {
  requestHeaders?: HeaderMutation;
  responseHeaders?: HeaderMutation;
  mirrors: { filter: MirrorFilter; index: number }[];
  redirect?: NonNullable<HTTPRouteFilter['requestRedirect']>;
  urlRewrite?: NonNullable<HTTPRouteFilter['urlRewrite']>;
  /** An ExtensionRef: Gateway API requires 500 when an implementation does not know it. */
  unsupported?: string;
}

/** @param report (field under filters[i], message) */
export function collectFilters(filters: readonly AnyFilter[] | undefined, report: (index: number, field: string, message: string) => void): FilterParts {
  const parts: FilterParts = { mirrors: [] };
  (filters ?? []).forEach((f, i) => {
    switch (f.type) {
      case 'RequestHeaderModifier':
        if (f.requestHeaderModifier) parts.requestHeaders = merge(parts.requestHeaders, headerModifier(f.requestHeaderModifier, (m) => report(i, 'requestHeaderModifier', m)));
        break;
      case 'ResponseHeaderModifier':
        if (f.responseHeaderModifier) parts.responseHeaders = merge(parts.responseHeaders, headerModifier(f.responseHeaderModifier, (m) => report(i, 'responseHeaderModifier', m)));
        break;
      case 'RequestMirror':
        if (f.requestMirror) parts.mirrors.push({ filter: f.requestMirror, index: i });
        break;
      case 'RequestRedirect':
        parts.redirect ??= f.requestRedirect;
        break;
      case 'URLRewrite':
        parts.urlRewrite ??= f.urlRewrite;
        break;
      default:
        parts.unsupported ??= `filters[${i}]: ExtensionRef ${f.extensionRef?.kind ?? ''}/${f.extensionRef?.name ?? ''} is not supported`;
        report(i, 'extensionRef', 'extension filters are not supported; requests matching this rule get 500, as Gateway API requires');
    }
  });
  return parts;
}

export function headerModifier(m: HeaderModifier, report: (message: string) => void): HeaderMutation | undefined {
  const out: HeaderMutation = {};
  for (const kind of ['set', 'add'] as const) {
    const map: Record<string, string> = {};
    for (const { name, value } of m[kind] ?? []) {
      if (!isHeaderName(name)) report(`${kind}: ${JSON.stringify(name)} is not a header name; ignored`);
      else if (!isHeaderValue(value)) report(`${kind}: the value of ${name} must not contain CR, LF or NUL; ignored`);
      else map[name.toLowerCase()] = value;
    }
    if (Object.keys(map).length > 0) out[kind] = map;
  }
  const remove = (m.remove ?? []).filter((name) => isHeaderName(name) || (report(`remove: ${JSON.stringify(name)} is not a header name; ignored`), false));
  if (remove.length > 0) out.remove = remove.map((n) => n.toLowerCase());
  return Object.keys(out).length > 0 ? out : undefined;
}

function merge(a: HeaderMutation | undefined, b: HeaderMutation | undefined): HeaderMutation | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out: HeaderMutation = {};
  if (a.set || b.set) out.set = { ...a.set, ...b.set };
  if (a.add || b.add) out.add = { ...a.add, ...b.add };
  if (a.remove || b.remove) out.remove = [...(a.remove ?? []), ...(b.remove ?? [])];
  return out;
}

/**
 * A path modifier for one expanded route (see expandPath): ReplacePrefixMatch on the segment
 * prefix `/api` → `/v2` is path `/v2` for exactly `/api` and prefix `/v2/` for `/api/…`, so
 * `/api/x` becomes `/v2/x` as Gateway API specifies. undefined: it cannot apply (reported).
 */
export function pathChange(m: PathModifier, variant: 'exact-prefix' | 'prefix' | 'other', report: (message: string) => void): { path?: string; pathPrefix?: string } | undefined {
  if (m.type === 'ReplaceFullPath') return { path: m.replaceFullPath ?? '/' };
  const to = m.replacePrefixMatch ?? '/';
  if (variant === 'exact-prefix') return { path: to === '' ? '/' : to };
  if (variant === 'prefix') return { pathPrefix: to.endsWith('/') ? to : `${to}/` };
  report('ReplacePrefixMatch needs a PathPrefix match; the path is left as is');
  return undefined;
}

export function redirectAction(
  r: NonNullable<HTTPRouteFilter['requestRedirect']>,
  variant: 'exact-prefix' | 'prefix' | 'other',
  report: (message: string) => void,
): RedirectAction {
  const path = r.path ? pathChange(r.path, variant, report) : undefined;
  return {
    ...(r.scheme !== undefined ? { scheme: r.scheme } : {}),
    ...(r.hostname !== undefined && r.hostname !== '' ? { host: r.hostname } : {}),
    ...(r.port !== undefined ? { port: r.port } : {}),
    ...(path ?? {}),
    status: r.statusCode ?? 302, // Gateway API's default, where Istio's is 301
  };
}
