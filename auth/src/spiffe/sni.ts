// SNI encoding of a SPIFFE ID, used by the initiator to tell the responder
// which of its workloads' SVIDs to present.
//
//   sni(id) = base32(sha256(id))[0:52] + ".svid.nodemesh.invalid"
//
// Why a hash: a SPIFFE ID holds '/' and ':' (not allowed in a host name) and
// may be up to 2048 bytes (SNI allows 255, a label 63). sha256 in lowercase
// RFC 4648 base32 without padding is 52 characters from [a-z2-7]: one valid
// DNS label. `.invalid` (RFC 6761) guarantees the name never resolves or
// matches a real certificate. It is not secret: SNI travels in clear text in
// TLS 1.3 and anyone who knows the ID can compute it. It only selects a
// certificate; the initiator then checks the exact SPIFFE ID in the URI SAN of
// what it was given, so a collision or a lie here cannot authenticate anyone.
import { createHash } from 'node:crypto';

export const SNI_SUFFIX = '.svid.nodemesh.invalid';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(buf: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function sniForSpiffeId(id: string): string {
  return base32(createHash('sha256').update(id, 'utf8').digest()) + SNI_SUFFIX;
}

/** True if `name` has the shape sniForSpiffeId produces. */
export function isSpiffeSni(name: string): boolean {
  return /^[a-z2-7]{52}\.svid\.nodemesh\.invalid$/.test(name);
}
