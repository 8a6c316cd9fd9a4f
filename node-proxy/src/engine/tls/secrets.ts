// SDS secrets by name. TLS contexts name them in *_sds_secret_config(s); a
// context whose secret has not arrived yet cannot be built.
import type { Decoded } from '../types.js';

export interface SecretStore {
  /** Secret.tls_certificate of the secret `name`. */
  tlsCertificate(name: string): Decoded | undefined;
  /** Secret.validation_context of the secret `name`. */
  validationContext(name: string): Decoded | undefined;
}

export function secretStore(secrets: ReadonlyMap<string, Decoded>): SecretStore {
  const part = (name: string, field: string) => {
    const v = secrets.get(name)?.[field];
    return v && typeof v === 'object' ? (v as Decoded) : undefined;
  };
  return {
    tlsCertificate: (name) => part(name, 'tls_certificate'),
    validationContext: (name) => part(name, 'validation_context'),
  };
}

export const EMPTY_SECRETS: SecretStore = secretStore(new Map());

/** TLS helpers take either the store or the raw SDS map the engine keeps. */
export type SecretsArg = SecretStore | ReadonlyMap<string, Decoded>;

export function toSecretStore(s: SecretsArg): SecretStore {
  return 'tlsCertificate' in s ? s : secretStore(s);
}
