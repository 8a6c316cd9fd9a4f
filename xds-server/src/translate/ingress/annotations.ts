// nodemesh's Ingress annotations (documented in crds/README.md, "Ingress").
// An invalid value is a ConfigError naming the annotation, and the annotation
// is then ignored: the Ingress is still served, as written without it.
import { durationMs } from '../../../../crds/src/gateway-api/common.js';
import { formatFieldPath } from '../../../../crds/src/issues.js';
import type { IngressObject } from '../../../../crds/src/resources.js';

export const ANNOTATION_PREFIX = 'nodemesh.io/';
export const REWRITE_TARGET = 'nodemesh.io/rewrite-target';
export const FORCE_HTTPS = 'nodemesh.io/force-https';
export const REQUEST_TIMEOUT = 'nodemesh.io/request-timeout';
export const RETRIES = 'nodemesh.io/retries';
const KNOWN = new Set([REWRITE_TARGET, FORCE_HTTPS, REQUEST_TIMEOUT, RETRIES]);

/** At most this many retries (Envoy accepts any count; a typo such as 1000 should not multiply load silently). */
export const MAX_RETRIES = 10;
/** The 5xx answers `nodemesh.io/retries` retries, besides connection failures and resets: the transient ones. */
export const RETRY_ON_CODES: readonly number[] = [500, 502, 503, 504];

export interface IngressAnnotations {
  /** Replaces the matched prefix (an Exact path: the whole path). */
  rewriteTarget?: string;
  forceHttps: boolean;
  requestTimeoutMs?: number;
  retries?: number;
}

export interface AnnotationProblem {
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

const PATH_RE = /^\/(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})*$/;

export function annotationPath(key: string): string {
  return formatFieldPath(['metadata', 'annotations', key]);
}

export function parseAnnotations(ing: IngressObject, problems: AnnotationProblem[]): IngressAnnotations {
  const a = ing.metadata.annotations;
  const out: IngressAnnotations = { forceHttps: false };
  const bad = (key: string, message: string) => problems.push({ path: annotationPath(key), message: `invalid value ${JSON.stringify(a[key])}: ${message}; the annotation is ignored`, severity: 'error' });

  for (const key of Object.keys(a).sort()) {
    if (key.startsWith(ANNOTATION_PREFIX) && !KNOWN.has(key)) {
      problems.push({ path: annotationPath(key), message: `unknown annotation; nodemesh Ingress annotations are ${[...KNOWN].sort().join(', ')}`, severity: 'warning' });
    }
  }
  const rewrite = a[REWRITE_TARGET];
  if (rewrite !== undefined) {
    if (!PATH_RE.test(rewrite) || rewrite.includes('//')) bad(REWRITE_TARGET, "must be an absolute path (starting with '/', no '//', URL path characters only)");
    else out.rewriteTarget = rewrite;
  }
  const force = a[FORCE_HTTPS];
  if (force !== undefined) {
    if (force !== 'true' && force !== 'false') bad(FORCE_HTTPS, 'must be "true" or "false"');
    else out.forceHttps = force === 'true';
  }
  const timeout = a[REQUEST_TIMEOUT];
  if (timeout !== undefined) {
    const ms = durationMs(timeout);
    if (ms === undefined) bad(REQUEST_TIMEOUT, 'must be a duration such as 30s, 1m30s or 500ms (0s: no timeout)');
    else out.requestTimeoutMs = ms;
  }
  const retries = a[RETRIES];
  if (retries !== undefined) {
    const n = /^[0-9]{1,3}$/.test(retries) ? Number(retries) : Number.NaN;
    if (!(n >= 0 && n <= MAX_RETRIES)) bad(RETRIES, `must be a whole number of retries from 0 to ${MAX_RETRIES}`);
    else if (n > 0) out.retries = n;
  }
  return out;
}
