// Throwaway mesh certificates for the mTLS scenarios, made with openssl: a CA, and a client and a
// server SVID (ECDSA P-256, one SPIFFE URI SAN each, as the control plane's CA issues them).
// HAProxy gets the same certificates as maille, so both pairs do the same cryptography.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const TRUST_DOMAIN = 'cluster.local';
export const spiffeId = (sa) => `spiffe://${TRUST_DOMAIN}/ns/bench/sa/${sa}`;

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

/**
 * Writes ca.pem, <role>.crt, <role>.key and <role>.pem (certificate then key, for HAProxy) for
 * roles client and server under `dir`; returns their paths.
 */
export function makeMeshCerts(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/O=maille bench/CN=bench root CA',
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const out = { dir, ca: path.join(dir, 'ca.pem') };
  for (const role of ['client', 'server']) {
    fs.writeFileSync(
      path.join(dir, `${role}.ext`),
      [
        'basicConstraints=critical,CA:false',
        'keyUsage=critical,digitalSignature,keyEncipherment,keyAgreement',
        'extendedKeyUsage=serverAuth,clientAuth',
        `subjectAltName=critical,URI:${spiffeId(role)}`,
        '',
      ].join('\n'),
    );
    openssl(['req', '-new', ...ec, '-keyout', `${role}.key`, '-out', `${role}.csr`, '-subj', '/O=maille bench'], dir);
    openssl(['x509', '-req', '-in', `${role}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
      '-extfile', `${role}.ext`, '-out', `${role}.crt`], dir);
    // PKCS#8 for node; HAProxy takes the certificate and its key in one file.
    openssl(['pkcs8', '-topk8', '-nocrypt', '-in', `${role}.key`, '-out', `${role}.p8.key`], dir);
    fs.writeFileSync(path.join(dir, `${role}.pem`), fs.readFileSync(path.join(dir, `${role}.crt`), 'utf8') + fs.readFileSync(path.join(dir, `${role}.key`), 'utf8'));
    out[role] = { cert: path.join(dir, `${role}.crt`), key: path.join(dir, `${role}.p8.key`), pem: path.join(dir, `${role}.pem`), id: spiffeId(role) };
  }
  return out;
}
