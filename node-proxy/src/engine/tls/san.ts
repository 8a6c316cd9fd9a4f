// Peer certificate identities: what SAN matchers and RBAC principals see.
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Decoded } from '../types.js';
import { compileStringMatcher, type StringMatch } from '../routing/matchers.js';

export interface PeerPrincipals {
  uri: string[];
  dns: string[];
  /** RFC 2253 order (most specific first), as Envoy prints it: "CN=web,O=acme". */
  subject: string;
}

export interface SanEntries extends PeerPrincipals {
  email: string[];
  ip: string[];
}

/** The SANs and subject of a certificate as node:tls gives it. */
export function peerPrincipals(cert: PeerCertificate): PeerPrincipals {
  const { uri, dns, subject } = sanEntries(cert);
  return { uri, dns, subject };
}

export function sanEntries(cert: PeerCertificate): SanEntries {
  const out: SanEntries = { uri: [], dns: [], email: [], ip: [], subject: subjectOf(cert) };
  const text = cert.subjectaltname ?? '';
  // Node quotes values that contain separators as JSON strings (CVE-2021-44532).
  const re = /(DNS|URI|email|IP Address|[A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (const m of text.matchAll(re)) {
    const raw = m[2]!;
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    if (m[1] === 'URI') out.uri.push(value);
    else if (m[1] === 'DNS') out.dns.push(value);
    else if (m[1] === 'email') out.email.push(value);
    else if (m[1] === 'IP Address') out.ip.push(value);
  }
  return out;
}

function subjectOf(cert: PeerCertificate): string {
  if (cert.raw?.length) {
    try {
      // X509Certificate.subject lists RDNs in DER order, one per line; RFC 2253 reverses them.
      return new X509Certificate(cert.raw).subject.split('\n').filter(Boolean).reverse().join(',');
    } catch {
      // fall through to the parsed object
    }
  }
  const s = (cert.subject ?? {}) as unknown as Record<string, string | string[]>;
  return Object.entries(s)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`))
    .reverse()
    .join(',');
}

export type SanVerifier = (cert: PeerCertificate) => boolean;

/**
 * Envoy's default SAN check: with no matchers every certificate passes;
 * otherwise one matcher must match one SAN of its type. A DNS matcher's exact
 * value also matches a wildcard SAN (`*.example.com`), as Envoy's dnsNameMatch.
 * `match_subject_alt_names` (deprecated) matches any SAN type.
 */
export function compileSanVerifier(validation: Decoded | undefined): SanVerifier | undefined {
  const typed = (validation?.match_typed_subject_alt_names as Decoded[] | undefined) ?? [];
  const untyped = (validation?.match_subject_alt_names as Decoded[] | undefined) ?? [];
  if (!typed.length && !untyped.length) return undefined;
  const checks: ((e: SanEntries) => boolean)[] = [];
  for (const t of typed) {
    const m = (t.matcher as Decoded | undefined) ?? {};
    const match = compileStringMatcher(m);
    switch (t.san_type) {
      case 'URI':
        checks.push((e) => e.uri.some(match));
        break;
      case 'DNS': {
        const exact = typeof m.exact === 'string' ? m.exact : undefined;
        checks.push((e) => e.dns.some((d) => match(d) || (exact !== undefined && dnsNameMatch(exact, d))));
        break;
      }
      case 'EMAIL':
        checks.push((e) => e.email.some(match));
        break;
      case 'IP_ADDRESS':
        checks.push((e) => e.ip.some(match));
        break;
      default:
        // OTHER_NAME needs an OID decoder node does not expose; it never matches.
        break;
    }
  }
  for (const m of untyped) {
    const match: StringMatch = compileStringMatcher(m);
    checks.push((e) => [...e.dns, ...e.uri, ...e.email, ...e.ip].some(match));
  }
  return (cert) => {
    const entries = sanEntries(cert);
    return checks.some((c) => c(entries));
  };
}

/** `*.example.com` in a certificate matches exactly one label. */
export function dnsNameMatch(name: string, pattern: string): boolean {
  const n = name.toLowerCase();
  const p = pattern.toLowerCase();
  if (n === p) return true;
  if (!p.startsWith('*.')) return false;
  const dot = n.indexOf('.');
  return dot > 0 && n.slice(dot) === p.slice(1);
}

/** The SAN check on a connected TLS socket: a reason when it fails. */
export function checkPeerSan(socket: TLSSocket, san: SanVerifier | undefined): string | undefined {
  if (!san) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !Object.keys(cert).length) return 'peer presented no certificate';
  return san(cert) ? undefined : 'peer certificate SAN does not match';
}
