// The unary Sign call: a CSR out, an SVID (and the current trust bundle) back.
import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import { readBody } from '../../../control-plane/discovery/http-util.js';
import { JSON_TYPE, SIGN_PATH, parseErrorBody, parseSignResponse, type SignResponse } from '../../../control-plane/discovery/protocol.js';
import { ControlPlaneError } from './errors.js';

const MAX_RESPONSE_BYTES = 1 << 20;

/**
 * `token` is sent only when bootstrapping; otherwise the session's client certificate speaks.
 * `nodeId` tells the control plane which proxy holds the certificate (it checks it against either).
 */
export async function callSign(session: ClientHttp2Session, csrPem: string, token: string | undefined, timeoutMs: number, nodeId?: string): Promise<SignResponse> {
  const req = session.request({
    ':method': 'POST',
    ':path': SIGN_PATH,
    'content-type': JSON_TYPE,
    ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
  });
  req.setTimeout(timeoutMs, () => req.close());
  req.end(JSON.stringify(nodeId === undefined ? { csr: csrPem } : { csr: csrPem, node: nodeId }));
  const [headers, body] = await Promise.all([
    new Promise<IncomingHttpHeaders>((resolve, reject) => {
      req.once('response', resolve);
      req.once('close', () => reject(new Error('certificate request ended without an answer (timed out or connection lost)')));
      req.once('error', reject);
    }),
    readBody(req, MAX_RESPONSE_BYTES),
  ]);
  const status = Number(headers[':status']);
  if (status !== 200) {
    const { code, message } = parseErrorBody(body, status);
    throw new ControlPlaneError(code, `certificate request refused: ${message}`, 'sign');
  }
  return parseSignResponse(body);
}
