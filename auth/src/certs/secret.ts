// Private key material, wrapped so that it cannot end up in a log line, an
// error message, JSON or util.inspect output by accident: every way of turning
// the object into text yields "[private key redacted]". The PEM is reachable
// only through reveal(), which the code calls in exactly two places — building
// a TLS context and writing the 0600 key file.
import { inspect } from 'node:util';

const REDACTED = '[private key redacted]';

export class PrivateKeyPem {
  readonly #pem: string;
  constructor(pem: string) {
    this.#pem = pem;
  }
  /** The PEM text. Only for node:tls and the key file; never for logs. */
  reveal(): string {
    return this.#pem;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
