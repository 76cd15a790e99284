// Traffic mirroring (shadowing): a copy of the request goes to another cluster, its response is
// thrown away, and nothing about it can delay or change the main response.
//
// The copy is sent once the main request's body is complete and kept (so it costs no extra read
// from the client); a body too large to keep is not mirrored. As Envoy and Istio do, the copy's
// authority gets "-shadow" appended so the receiving side can tell shadow traffic apart.
import type { HeaderList } from '../http/headers.js';
import type { BodySource } from '../http/exchange.js';
import type { CompiledRoute } from '../router/types.js';
import type { UpstreamCluster } from './upstream-cluster.js';
import type { OutgoingRequest } from './upstream-request.js';
import type { ReplayableBody } from './replay-body.js';
import { sendTry } from './upstream-send.js';

/** Shadow requests in flight per cluster at most; beyond it copies are skipped, not queued. */
const MAX_MIRRORS_IN_FLIGHT = 256;
const inFlight = new Map<string, number>();

export function startMirrors(
  route: CompiledRoute,
  out: OutgoingRequest,
  body: ReplayableBody | undefined,
  clusters: ReadonlyMap<string, UpstreamCluster>,
  onSent?: (cluster: string) => void,
): void {
  for (const m of route.mirrors) {
    if (m.percent !== undefined && Math.random() * 100 >= m.percent) continue;
    const cluster = clusters.get(m.cluster);
    if (!cluster) continue;
    const copy: OutgoingRequest = { ...out, headers: out.headers.clone(), authority: shadowAuthority(out.authority), upgrade: undefined };
    const send = (): void => sendMirror(cluster, m.subset, copy, body ? bodyCopy(body) : undefined, onSent);
    if (!body) send();
    else body.whenComplete((ok) => ok && send());
  }
}

function shadowAuthority(authority: string): string {
  const colon = authority.lastIndexOf(':');
  if (colon > 0 && authority.indexOf(']') < colon) return authority.slice(0, colon) + '-shadow' + authority.slice(colon);
  return authority + '-shadow';
}

function bodyCopy(body: ReplayableBody): BodySource {
  const chunks = body.recorded.slice();
  return {
    encoding: body.encoding,
    length: body.length,
    pipe(sink) {
      for (const c of chunks) sink.data(c);
      sink.end();
    },
    pause() {},
    resume() {},
  };
}

function sendMirror(cluster: UpstreamCluster, subset: string | undefined, out: OutgoingRequest, body: BodySource | undefined, onSent?: (c: string) => void): void {
  const n = inFlight.get(cluster.name) ?? 0;
  if (n >= MAX_MIRRORS_IN_FLIGHT) return;
  const ep = cluster.pick(subset, undefined);
  if (!ep) return;
  inFlight.set(cluster.name, n + 1);
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    inFlight.set(cluster.name, (inFlight.get(cluster.name) ?? 1) - 1);
  };
  onSent?.(cluster.name);
  sendTry(cluster, ep, out, body, {
    noConnection: finish,
    interim: () => {},
    head: (_s, _h: HeaderList, encoding) => {
      if (encoding === undefined) finish();
    },
    upgrade: (_raw, socket) => {
      socket.destroy();
      finish();
    },
    data: () => true,
    end: finish,
    fail: finish,
  });
}
