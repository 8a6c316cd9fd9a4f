// SPIFFE IDs (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md §2):
// `spiffe://<trust-domain><path>`. Parsing is strict on purpose: an ID is
// compared byte for byte during authentication, so two spellings of "the same"
// ID (upper-case trust domain, trailing slash, dot segments, percent-encoding)
// must not both be accepted, or one identity could pass as another.

/** A parsed, valid SPIFFE ID. `id` is the canonical (and only accepted) spelling. */
export interface SpiffeId {
  readonly id: string;
  readonly trustDomain: string;
  /** '' or '/seg/seg…' */
  readonly path: string;
}

export type SpiffeIdResult = { ok: true; value: SpiffeId } | { ok: false; error: string };

const SCHEME = 'spiffe://';
/** The spec's limit for a whole SPIFFE ID, in bytes (URI SAN size). */
const MAX_ID_BYTES = 2048;
/** Trust domains are DNS-like names; the spec caps them at 255 characters. */
const MAX_TRUST_DOMAIN = 255;
const TD_CHARS = /^[a-z0-9._-]+$/;
const SEGMENT_CHARS = /^[a-zA-Z0-9._-]+$/;

/** Validates a trust domain name (no scheme). Returns an error message or undefined. */
export function checkTrustDomain(td: string): string | undefined {
  if (td === '') return 'trust domain is missing';
  if (td.length > MAX_TRUST_DOMAIN) return `trust domain is longer than ${MAX_TRUST_DOMAIN} characters`;
  if (!TD_CHARS.test(td)) {
    if (td.includes(':')) return 'trust domain cannot contain a port';
    if (td.includes('@')) return 'trust domain cannot contain user info';
    return 'trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores';
  }
  return undefined;
}

export function parseSpiffeId(input: string): SpiffeIdResult {
  if (typeof input !== 'string' || input === '') return { ok: false, error: 'SPIFFE ID is empty' };
  if (Buffer.byteLength(input) > MAX_ID_BYTES) return { ok: false, error: `SPIFFE ID is longer than ${MAX_ID_BYTES} bytes` };
  if (!input.startsWith(SCHEME)) {
    return { ok: false, error: /^spiffe:\/\//i.test(input) ? 'scheme must be lowercase "spiffe"' : 'scheme is missing or invalid (want spiffe://)' };
  }
  const rest = input.slice(SCHEME.length);
  if (rest.includes('?')) return { ok: false, error: 'SPIFFE ID cannot contain a query' };
  if (rest.includes('#')) return { ok: false, error: 'SPIFFE ID cannot contain a fragment' };
  if (rest.includes('%')) return { ok: false, error: 'SPIFFE ID cannot contain percent-encoded characters' };
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  const tdErr = checkTrustDomain(trustDomain);
  if (tdErr) return { ok: false, error: tdErr };
  if (path !== '') {
    if (path === '/') return { ok: false, error: 'path cannot have a trailing slash' };
    const segments = path.slice(1).split('/');
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg === '') return { ok: false, error: i === segments.length - 1 ? 'path cannot have a trailing slash' : 'path cannot contain empty segments' };
      if (seg === '.' || seg === '..') return { ok: false, error: 'path cannot contain dot segments' };
      if (!SEGMENT_CHARS.test(seg)) {
        return { ok: false, error: `path segment "${seg}" has characters other than letters, numbers, dots, dashes, and underscores` };
      }
    }
  }
  return { ok: true, value: { id: input, trustDomain, path } };
}

/** parseSpiffeId that throws; for IDs that come from configuration already validated upstream. */
export function mustParseSpiffeId(input: string): SpiffeId {
  const r = parseSpiffeId(input);
  if (!r.ok) throw new Error(`invalid SPIFFE ID ${JSON.stringify(input)}: ${r.error}`);
  return r.value;
}

/** The workload identity nodemesh assigns: spiffe://<td>/ns/<namespace>/sa/<serviceaccount>. */
export function workloadSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  for (const [what, v] of [['namespace', namespace], ['service account', serviceAccount]] as const) {
    if (!SEGMENT_CHARS.test(v) || v === '.' || v === '..') throw new Error(`invalid SPIFFE ID: ${what} ${JSON.stringify(v)} is not one path segment`);
  }
  return mustParseSpiffeId(`${SCHEME}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`).id;
}

/** The namespace and service account of a workload ID, or undefined for other shapes. */
export function parseWorkloadId(id: string): { trustDomain: string; namespace: string; serviceAccount: string } | undefined {
  const r = parseSpiffeId(id);
  if (!r.ok) return undefined;
  const m = /^\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(r.value.path);
  return m ? { trustDomain: r.value.trustDomain, namespace: m[1]!, serviceAccount: m[2]! } : undefined;
}

/** The trust domain of an ID known to be valid. */
export function trustDomainOf(id: string): string {
  return mustParseSpiffeId(id).trustDomain;
}
