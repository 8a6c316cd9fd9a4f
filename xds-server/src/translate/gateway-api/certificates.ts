// HTTPS listener certificateRefs → TLS certificates. A reference must name a
// core Secret of type kubernetes.io/tls holding a parseable certificate chain
// and a matching private key; another namespace needs a ReferenceGrant.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { GATEWAY_API_GROUP } from '../../../../crds/src/gateway-api/common.js';
import type { SecretRefSpec } from '../../../../crds/src/gateway-api/gateway.js';
import { secretValue, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, TLS_SECRET_TYPE } from '../../../../crds/src/secret.js';
import type { TlsCertIR } from '../../model/gateway.js';
import { referenceAllowed, type Context } from './context.js';
import type { Problem } from './status.js';

export interface CertificateResult {
  certs: TlsCertIR[];
  problems: Problem[];
}

// Parses the PEM the way the proxy will have to: a certificate node can read,
// and a key that belongs to it. Errors become the InvalidCertificateRef message.
function checkPem(chain: string, key: string): string | undefined {
  try {
    const cert = new X509Certificate(chain);
    const privateKey = createPrivateKey(key);
    if (!cert.checkPrivateKey(privateKey)) return `${TLS_PRIVATE_KEY_KEY} does not match the certificate in ${TLS_CERT_KEY}`;
    return undefined;
  } catch (e) {
    return `cannot parse the certificate or key: ${(e as Error).message}`;
  }
}

export function resolveCertificates(ctx: Context, refs: readonly SecretRefSpec[], gatewayNamespace: string, path: string): CertificateResult {
  const out: CertificateResult = { certs: [], problems: [] };
  refs.forEach((ref, k) => {
    const at = `${path}[${k}]`;
    const fail = (reason: string, message: string) => out.problems.push({ reason, message, path: at });
    if (ref.group !== '' || ref.kind !== 'Secret') return fail('InvalidCertificateRef', `${ref.group || 'core'}/${ref.kind} is not supported; only core Secrets are`);
    const namespace = ref.namespace ?? gatewayNamespace;
    const allowed = referenceAllowed(
      ctx,
      { group: GATEWAY_API_GROUP, kind: 'Gateway', namespace: gatewayNamespace },
      { group: '', kind: 'Secret', namespace, name: ref.name },
    );
    if (!allowed) return fail('RefNotPermitted', `Secret ${namespace}/${ref.name} is in another namespace and no ReferenceGrant there allows Gateways from ${JSON.stringify(gatewayNamespace)}`);
    const secret = ctx.secrets.get(`${namespace}/${ref.name}`);
    if (secret === undefined) return fail('InvalidCertificateRef', `Secret ${namespace}/${ref.name} not found`);
    if (secret.type !== TLS_SECRET_TYPE) return fail('InvalidCertificateRef', `Secret ${namespace}/${ref.name} has type ${JSON.stringify(secret.type)}; it must be ${TLS_SECRET_TYPE}`);
    const chain = secretValue(secret, TLS_CERT_KEY) ?? '';
    const key = secretValue(secret, TLS_PRIVATE_KEY_KEY) ?? '';
    const bad = checkPem(chain, key);
    if (bad !== undefined) return fail('InvalidCertificateRef', `Secret ${namespace}/${ref.name}: ${bad}`);
    out.certs.push({ secret: `${namespace}/${ref.name}`, certChainPem: chain, privateKeyPem: key });
  });
  return out;
}
