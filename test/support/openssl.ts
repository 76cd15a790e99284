// Certificates made with the openssl CLI, as an outsider would make them: a CA of one's own, and
// a workload certificate shaped like a mesh SVID (ECDSA P-256, one SPIFFE URI SAN) signed by any
// CA whose files one holds. Also `openssl s_client` sending one HTTP/1.1 request.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertFiles {
  cert: string;
  key: string;
}

/** A self-signed ECDSA P-256 CA in a new temporary directory. */
export async function makeCa(name: string): Promise<CertFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'maille-ca-'));
  const ca = { cert: join(dir, 'ca.pem'), key: join(dir, 'ca-key.pem') };
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', ca.key, '-out', ca.cert, '-days', '1', '-subj', `/O=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return ca;
}

/** A P-256 key and a certificate for `spiffeId`, signed by `ca`. */
export async function makeSvid(ca: CertFiles, spiffeId: string): Promise<CertFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'maille-svid-'));
  const leaf = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  const csr = join(dir, 'req.csr');
  const ext = join(dir, 'ext.cnf');
  writeFileSync(ext, `subjectAltName=critical,URI:${spiffeId}\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\n`);
  await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', leaf.key, '-out', csr, '-subj', '/O=workload']);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', leaf.cert, '-days', '1', '-extfile', ext]);
  return leaf;
}

/** `openssl s_client` to 127.0.0.1:port presenting `client`, sending one GET; stdout and stderr together. */
export async function sClientGet(port: number, path: string, host: string, client: CertFiles): Promise<string> {
  const request = `GET ${path} HTTP/1.1\\r\\nHost: ${host}\\r\\nConnection: close\\r\\n\\r\\n`;
  const script = `printf '${request}' | timeout 10 openssl s_client -connect 127.0.0.1:${port} -cert '${client.cert}' -key '${client.key}' -quiet 2>&1; true`;
  return (await run('sh', ['-c', script])).stdout;
}

/** A P-256 key and certificate for `cn` with `subjectAltName` (e.g. `DNS:a.example.com,URI:spiffe://x`), signed by `ca`. */
export async function makeLeaf(ca: CertFiles, cn: string, subjectAltName: string): Promise<CertFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'maille-leaf-'));
  const leaf = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${subjectAltName}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', leaf.key, '-out', join(dir, 'req.csr'), '-subj', `/CN=${cn}`]);
  await run('openssl', ['x509', '-req', '-in', join(dir, 'req.csr'), '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', leaf.cert, '-days', '1', '-extfile', join(dir, 'ext.cnf')]);
  return leaf;
}

/**
 * What `openssl x509 -noout <fields>` prints of the certificate served on 127.0.0.1:`port` for the
 * server name `servername` (e.g. "subject=CN = a.example.com"); '' when the handshake is closed first.
 */
export async function servedCertificate(port: number, servername: string, fields = '-subject'): Promise<string> {
  const script = `echo | timeout 10 openssl s_client -connect 127.0.0.1:${port} -servername ${servername} 2>/dev/null | openssl x509 -noout ${fields}; true`;
  return (await run('sh', ['-c', script])).stdout.trim();
}
