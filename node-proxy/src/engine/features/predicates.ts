// Value rules of the allowlist: values of an allowed field that the engine
// still cannot honour. Each returns the reason, or undefined when it can.

export interface ValueRule {
  /** What is allowed, for the feature matrix. */
  describe: string;
  check(value: unknown): string | undefined;
}

const NOT_IMPLEMENTED = 'is not implemented by the embedded engine';

/** The substitution formatter operators the engine expands in header values. */
export const HEADER_FORMATTER_OPERATORS: readonly string[] = [
  'DOWNSTREAM_REMOTE_ADDRESS',
  'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT',
  'UPSTREAM_REMOTE_ADDRESS',
  'PROTOCOL',
  'HOSTNAME',
  'START_TIME',
];

// Envoy's operator syntax: %NAME%, %NAME(args)% and %NAME(args):LEN%.
const OPERATOR = /%([A-Za-z0-9_]*)(\([^)]*\))?(:[0-9]+)?%/y;

/** Every formatter operator in `value` the engine does not expand, or why it cannot be parsed. */
export function headerValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const bad: string[] = [];
  for (let i = value.indexOf('%'); i >= 0; i = value.indexOf('%', i)) {
    if (value[i + 1] === '%') {
      i += 2;
      continue;
    }
    OPERATOR.lastIndex = i;
    const m = OPERATOR.exec(value);
    if (!m) return `header value ${JSON.stringify(value)}: unterminated formatter operator at offset ${i} (write %% for a literal %)`;
    if (m[2] !== undefined || m[3] !== undefined || !HEADER_FORMATTER_OPERATORS.includes(m[1]!)) bad.push(m[0]);
    i = OPERATOR.lastIndex;
  }
  if (bad.length === 0) return undefined;
  const supported = HEADER_FORMATTER_OPERATORS.map((o) => `%${o}%`).join(', ');
  return `header value ${JSON.stringify(value)}: formatter operator ${bad.join(', ')} ${NOT_IMPLEMENTED} (supported: ${supported}, %% for a literal %)`;
}

export const HEADER_VALUE: ValueRule = {
  describe: `no formatter operator except ${HEADER_FORMATTER_OPERATORS.map((o) => `%${o}%`).join(', ')} (%% for a literal %)`,
  check: headerValueProblem,
};

/** Envoy's priority levels: the engine load-balances within priority 0 only, with no failover. */
export const PRIORITY_ZERO: ValueRule = {
  describe: 'must be 0',
  check: (v) => (v === undefined || v === 0 || v === '0' ? undefined : `priority ${String(v)} ${NOT_IMPLEMENTED} (only 0)`),
};

/** retry_on conditions the router implements. */
export const RETRY_ON_CONDITIONS: readonly string[] = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-status-codes', 'refused-stream'];

export const RETRY_ON: ValueRule = {
  describe: `comma-separated subset of ${RETRY_ON_CONDITIONS.join(', ')}`,
  check: (v) => {
    if (typeof v !== 'string') return undefined;
    const bad = v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s && !RETRY_ON_CONDITIONS.includes(s));
    return bad.length ? `retry_on ${bad.join(', ')} ${NOT_IMPLEMENTED} (supported: ${RETRY_ON_CONDITIONS.join(', ')})` : undefined;
  },
};

/** Command operators the access loggers expand (node-proxy/src/engine/access-log.ts). */
export const ACCESS_LOG_OPERATORS: readonly string[] = [
  'START_TIME',
  'DURATION',
  'PROTOCOL',
  'RESPONSE_CODE',
  'RESPONSE_FLAGS',
  'BYTES_RECEIVED',
  'BYTES_SENT',
  'UPSTREAM_HOST',
  'UPSTREAM_CLUSTER',
  'ROUTE_NAME',
  'DOWNSTREAM_REMOTE_ADDRESS',
  'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT',
  'DOWNSTREAM_LOCAL_ADDRESS',
  'UPSTREAM_REQUEST_ATTEMPT_COUNT',
  'REQ',
  'RESP',
];

/** json_format: a flat Struct of strings (or numbers) whose operators the engine expands. */
export const ACCESS_LOG_JSON: ValueRule = {
  describe: `flat object of strings using ${ACCESS_LOG_OPERATORS.map((o) => (o === 'REQ' || o === 'RESP' ? `%${o}(X)%` : `%${o}%`)).join(', ')}`,
  check: (v) => {
    const fields = (v as { fields?: Record<string, { stringValue?: string; numberValue?: number; kind?: string }> } | undefined)?.fields ?? {};
    const bad: string[] = [];
    for (const [k, f] of Object.entries(fields)) {
      if (f.stringValue === undefined && f.numberValue === undefined) {
        bad.push(`${k}: only string and number values`);
        continue;
      }
      for (const m of (f.stringValue ?? '').matchAll(/%([A-Z_]+)(\([^)]*\))?(:\d+)?%/g))
        if (!ACCESS_LOG_OPERATORS.includes(m[1]!)) bad.push(`${k}: ${m[0]}`);
    }
    return bad.length ? `json_format ${bad.join('; ')} ${NOT_IMPLEMENTED} (supported operators: ${ACCESS_LOG_OPERATORS.join(', ')})` : undefined;
  },
};

/**
 * A google.protobuf.BoolValue the engine honours at one value only. Decoded
 * wrappers omit a false `value` (`{}`), so the value is read as present-and-true
 * or not.
 */
function onlyBool(allowed: boolean, why: string): ValueRule {
  return {
    describe: `only ${String(allowed)} (${why})`,
    check: (v) => {
      if (v === undefined || v === null) return undefined;
      const value = (v as { value?: unknown }).value === true;
      return value === allowed ? undefined : `${String(value)} ${NOT_IMPLEMENTED} (only ${String(allowed)}: ${why})`;
    },
  };
}

/** RouteConfiguration.validate_clusters: the engine never checks route clusters against CDS; a missing one answers cluster_not_found_response_code. */
export const VALIDATE_CLUSTERS_FALSE: ValueRule = onlyBool(false, 'routes to unknown clusters are accepted and answered with cluster_not_found_response_code');

