// The headers a bookinfo service copies from the request it serves onto the requests it makes,
// so one user's request stays one trace and header routes (`end-user: jason`) match on every
// hop, not only the first. The mesh cannot do this for the app: it sees two unrelated requests.
import type { IncomingHttpHeaders } from 'node:http';

const PROPAGATED = [
  // the user, as bookinfo's productpage sets it after login; routing rules match on it
  'end-user',
  'user-agent',
  'cookie',
  'authorization',
  // one id per user request, made by the first sidecar
  'x-request-id',
  // W3C trace context
  'traceparent',
  'tracestate',
  // B3 (Zipkin), multi-header and single-header forms
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
];

export function propagatedHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROPAGATED) {
    const value = incoming[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}
