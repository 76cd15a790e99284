// How the demo apps call each other: a plain HTTP GET of http://SERVICE:PORT/... sent to the
// sidecar's outbound listener ($HTTP_PROXY), as any HTTP client honouring a proxy does. The app
// picks its own timeout, like bookinfo's services; the mesh may answer sooner (route timeouts,
// faults, breakers), with a status and an x-maille-error header saying why.
import { Agent, request } from 'node:http';

export interface MeshReply {
  /** HTTP status, or 0 when no answer came (connection error or the app's own timeout). */
  status: number;
  body: string;
  /** x-maille-error when the sidecar answered itself; the error when no answer came. */
  error?: string;
}

const proxy = process.env.HTTP_PROXY ? new URL(process.env.HTTP_PROXY) : undefined;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export function meshGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<MeshReply> {
  const target = new URL(url);
  // Through the sidecar: absolute-form request line to the proxy. Without one: straight there.
  const where = proxy ? { host: proxy.hostname, port: Number(proxy.port), path: target.href } : { host: target.hostname, port: Number(target.port || 80), path: target.pathname + target.search };
  return new Promise((resolve) => {
    const req = request({ ...where, agent, headers: { ...headers, host: target.host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const meshError = res.headers['x-maille-error'];
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ...(typeof meshError === 'string' ? { error: meshError } : {}) });
      });
      res.on('error', (err) => resolve({ status: 0, body: '', error: err.message }));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer from ${target.host} within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve({ status: 0, body: '', error: err.message });
    });
    req.end();
  });
}
