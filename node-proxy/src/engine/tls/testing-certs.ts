// Real certificates for tests, made with the openssl CLI: an ECDSA P-256 CA
// and leaves with the SANs a test asks for. Not used outside tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem {
  cert: string;
  key: string;
}

export interface TestPki {
  ca: Pem;
  /** A leaf signed by the CA; `sans` like ['URI:spiffe://cluster.local/ns/default/sa/web', 'DNS:web']. */
  leaf(cn: string, sans: string[]): Pem;
  /** A self-signed certificate from another CA (for "untrusted" cases). */
  other(cn: string, sans: string[]): Pem;
  cleanup(): void;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'nodemesh-pki-'));
  let n = 0;
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const keygen = (f: string) => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f);
  const selfSigned = (name: string, cn: string, ext: string[]) => {
    keygen(`${name}.key`);
    ssl('req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/O=nodemesh-test/CN=${cn}`, '-days', '2', '-out', `${name}.crt`, ...ext);
    return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
  };
  const ca = selfSigned('ca', 'test-ca', ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const leaf = (cn: string, sans: string[]): Pem => {
    const name = `leaf${++n}`;
    keygen(`${name}.key`);
    ssl('req', '-new', '-key', `${name}.key`, '-subj', `/O=nodemesh-test/CN=${cn}`, '-out', `${name}.csr`);
    writeFileSync(
      join(dir, `${name}.ext`),
      ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth,clientAuth', sans.length ? `subjectAltName=${sans.join(',')}` : '']
        .filter(Boolean)
        .join('\n') + '\n',
    );
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
    return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
  };
  const other = (cn: string, sans: string[]) =>
    selfSigned(`other${++n}`, cn, sans.length ? ['-addext', `subjectAltName=${sans.join(',')}`] : []);
  return { ca, leaf, other, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
