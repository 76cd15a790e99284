import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openCertificateAuthority } from './authority.js';
import { createWorkloadKeyAndCsr } from './csr.js';
import { CsrError, signWorkloadCsr } from './issue.js';
import { mustOpenssl, openssl, opensslVerify, tempDir } from './testing.js';
import { x509 } from './x509.js';

const web = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'web' };

describe('signWorkloadCsr', () => {
  it('issues an SVID that openssl verifies against the root, with exactly the SPIFFE URI SAN and SVID usages', async (t) => {
    const dir = await tempDir(t);
    const ca = await openCertificateAuthority({ stateDir: dir });
    const { csrPem } = await createWorkloadKeyAndCsr();
    const before = Date.now();
    const svid = await signWorkloadCsr(ca, csrPem, web);

    assert.equal(svid.spiffeId, 'spiffe://cluster.local/ns/default/sa/web');
    assert.equal(svid.chainPem, '', 'the root signs directly: no intermediates');
    const verify = await opensslVerify(dir, { caFile: await readFile(path.join(dir, 'ca/root-cert.pem'), 'utf8'), leaf: svid.certificatePem });
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /: OK/);

    await writeFile(path.join(dir, 'leaf.pem'), svid.certificatePem);
    const text = await mustOpenssl(['x509', '-in', path.join(dir, 'leaf.pem'), '-noout', '-text']);
    const san = /X509v3 Subject Alternative Name:.*\n\s*(.*)/.exec(text)?.[1];
    assert.equal(san, 'URI:spiffe://cluster.local/ns/default/sa/web', 'one URI SAN and nothing else');
    assert.match(text, /X509v3 Basic Constraints: critical\n\s*CA:FALSE/);
    assert.match(text, /X509v3 Key Usage: critical\n\s*Digital Signature, Key Encipherment\n/);
    assert.match(text, /X509v3 Extended Key Usage: \n\s*TLS Web Server Authentication, TLS Web Client Authentication\n/);
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);

    // Lifetime: 24 h from now, backdated one minute for clock skew.
    const dates = await mustOpenssl(['x509', '-in', path.join(dir, 'leaf.pem'), '-noout', '-startdate', '-enddate', '-serial']);
    const notBefore = Date.parse(/notBefore=(.*)/.exec(dates)![1]);
    const notAfter = Date.parse(/notAfter=(.*)/.exec(dates)![1]);
    assert.ok(Math.abs(notBefore - (before - 60_000)) < 2000, `notBefore ${new Date(notBefore).toISOString()} is a minute back`);
    assert.ok(Math.abs(notAfter - (before + 24 * 3600_000)) < 2000, `notAfter ${new Date(notAfter).toISOString()} is 24 h on`);
    assert.equal(svid.renewAt.getTime(), notBefore + (notAfter - notBefore) / 2, 'renewal at half-life');
    // 126 random bits in exactly 16 bytes, positive (x509.ts randomSerial).
    const serial = /serial=(.*)/.exec(dates)![1];
    assert.match(serial, /^[4-7][0-9A-F]{31}$/);
    assert.equal(svid.trustBundlePem, ca.trustBundle.toPem());
  });

  it('gives each certificate its own serial number', async (t) => {
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const { csrPem } = await createWorkloadKeyAndCsr();
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++) serials.add((await signWorkloadCsr(ca, csrPem, web)).serialNumber);
    assert.equal(serials.size, 5);
  });

  it('ignores the names a CSR asks for and issues only the authorized identity', async (t) => {
    const dir = await tempDir(t);
    const ca = await openCertificateAuthority({ stateDir: dir });
    const { csrPem } = await createWorkloadKeyAndCsr({ spiffeId: 'spiffe://cluster.local/ns/kube-system/sa/admin' });
    assert.match(await pipeOpenssl(dir, csrPem, ['req', '-noout', '-text']), /URI:spiffe:\/\/cluster.local\/ns\/kube-system\/sa\/admin/);
    // An openssl CSR asking for a CN, DNS names and a URI of its own choosing.
    await mustOpenssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'k.pem'], dir);
    await mustOpenssl(
      ['req', '-new', '-key', 'k.pem', '-out', 'req.pem', '-subj', '/CN=admin/O=system:masters', '-addext', 'subjectAltName=DNS:evil.example,URI:spiffe://other.domain/ns/x/sa/y'],
      dir,
    );
    const opensslCsr = await readFile(path.join(dir, 'req.pem'), 'utf8');

    for (const csr of [csrPem, opensslCsr]) {
      const svid = await signWorkloadCsr(ca, csr, web);
      const cert = new x509.X509Certificate(svid.certificatePem);
      const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
      assert.deepEqual(san?.names.toJSON(), [{ type: 'url', value: 'spiffe://cluster.local/ns/default/sa/web' }]);
      assert.equal(cert.subject, '', 'no subject copied from the CSR');
    }
  });

  it('refuses keys other than ECDSA P-256 with a clear error', async (t) => {
    const dir = await tempDir(t);
    const ca = await openCertificateAuthority({ stateDir: dir });
    const cases: [string[], RegExp][] = [
      [['-newkey', 'rsa:2048'], /CSR key is RSA 2048; workload certificates need an ECDSA P-256 key/],
      [['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], /CSR key is ECDSA P-384; workload certificates need an ECDSA P-256 key/],
      [['-newkey', 'ed25519'], /CSR key is Ed25519; workload certificates need an ECDSA P-256 key/],
    ];
    for (const [keyArgs, message] of cases) {
      await mustOpenssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', 'k.pem', '-out', 'req.pem', '-subj', '/CN=x'], dir);
      const csr = await readFile(path.join(dir, 'req.pem'), 'utf8');
      await assert.rejects(signWorkloadCsr(ca, csr, web), (err: unknown) => {
        assert.ok(err instanceof CsrError);
        assert.equal(err.code, 'MAILLE_ERR_CSR_KEY_TYPE');
        assert.match(err.message, message);
        return true;
      });
    }
  });

  it('refuses a CSR whose signature does not verify, and text that is no CSR', async (t) => {
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const a = await createWorkloadKeyAndCsr();
    const b = await createWorkloadKeyAndCsr();
    // Put b's public key into a's signed request: a CSR for a key its signer does not hold.
    const reqA = new x509.Pkcs10CertificateRequest(a.csrPem);
    const reqB = new x509.Pkcs10CertificateRequest(b.csrPem);
    const der = Buffer.from(reqA.rawData);
    const spkiA = Buffer.from(reqA.publicKey.rawData);
    const at = der.indexOf(spkiA);
    assert.ok(at > 0);
    Buffer.from(reqB.publicKey.rawData).copy(der, at);
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await assert.rejects(signWorkloadCsr(ca, forged, web), { code: 'MAILLE_ERR_CSR_SIGNATURE', message: /signature does not verify/ });
    await assert.rejects(signWorkloadCsr(ca, 'hello', web), { code: 'MAILLE_ERR_CSR_INVALID', message: /not a PEM "CERTIFICATE REQUEST"/ });
    await assert.rejects(signWorkloadCsr(ca, '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', web), {
      code: 'MAILLE_ERR_CSR_INVALID',
    });
  });

  it('refuses identities outside the CA trust domain or unfit for a SPIFFE ID', async (t) => {
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const { csrPem } = await createWorkloadKeyAndCsr();
    await assert.rejects(signWorkloadCsr(ca, csrPem, { ...web, trustDomain: 'other.domain' }), /trust domain other.domain is not the CA's \(cluster.local\)/);
    await assert.rejects(signWorkloadCsr(ca, csrPem, { ...web, namespace: 'a/b' }), /namespace "a\/b" cannot be part of a SPIFFE ID/);
    await assert.rejects(signWorkloadCsr(ca, csrPem, { ...web, serviceAccount: '..' }), /service account "\.\." cannot be part/);
  });

  it('honours a configured lifetime, never beyond the CA certificate', async (t) => {
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const { csrPem } = await createWorkloadKeyAndCsr();
    const now = new Date();
    const short = await signWorkloadCsr(ca, csrPem, web, 10 * 60_000, { now });
    assert.equal(short.notAfter.getTime(), Math.floor((now.getTime() + 10 * 60_000) / 1000) * 1000);
    const long = await signWorkloadCsr(ca, csrPem, web, 20 * 365 * 24 * 3600_000, { now });
    assert.equal(long.notAfter.getTime(), ca.signer.root.notAfter.getTime());
    await assert.rejects(signWorkloadCsr(ca, csrPem, web, 0), /lifetime must be a positive duration/);
  });
});

async function pipeOpenssl(dir: string, input: string, args: string[]): Promise<string> {
  const file = path.join(dir, 'in.pem');
  await writeFile(file, input);
  const r = await openssl([...args, '-in', file]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}
