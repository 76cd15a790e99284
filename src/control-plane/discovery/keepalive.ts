// HTTP/2 PING as a liveness check, on both ends of the discovery connection. A peer that vanished
// without closing its socket (a killed VM, a dropped route) would otherwise hold a stream open
// forever: the control plane would list a dead proxy as connected, and a proxy would wait on a
// control plane that will never send again instead of reconnecting.
import type { Http2Session } from 'node:http2';

/** Ping `session`; destroy it when the answer does not come within `timeoutMs`. */
export function pingOrDestroy(session: Http2Session, timeoutMs: number): void {
  if (session.destroyed || session.closed) return;
  const timer = setTimeout(() => session.destroy(), timeoutMs);
  timer.unref();
  try {
    const sent = session.ping((err) => {
      clearTimeout(timer);
      if (err && !session.destroyed) session.destroy();
    });
    // false: too many unacknowledged pings already; the timer above decides.
    void sent;
  } catch {
    // ping() throws once the session is closing; it is going away anyway.
    clearTimeout(timer);
  }
}

/** Ping every `intervalMs`; returns the stop function. The timer never keeps the process alive. */
export function keepAlive(session: Http2Session, intervalMs: number, timeoutMs: number): () => void {
  const interval = setInterval(() => pingOrDestroy(session, timeoutMs), intervalMs);
  interval.unref();
  const stop = (): void => clearInterval(interval);
  session.once('close', stop);
  return stop;
}
