// The substitution formatter of header values: literal text, "%%" for a
// percent sign, and the %OPERATOR% commands below. Anything else is refused
// when the route configuration is compiled, as Envoy refuses it. A command
// whose value is unknown (e.g. the upstream address before a host is chosen)
// formats as the empty string, as Envoy's header formatter omits empty values.
import { hostname } from 'node:os';
import { ConfigRejected } from './fields.js';
import { formatAddress, splitAddress } from './host.js';

export interface HeaderFormatContext {
  /** Downstream peer, "ip:port" or "[v6]:port" (as RequestHead.remoteAddress). */
  downstreamRemoteAddress?: string;
  /** The upstream host that answered, "address:port". */
  upstreamRemoteAddress?: string;
  /** "HTTP/1.1", "HTTP/2"… */
  protocol?: string;
  /** When the downstream request started. */
  startTime?: Date;
  /** Defaults to os.hostname(). */
  hostname?: string;
}

type Segment = string | ((ctx: HeaderFormatContext) => string);

const COMMANDS: Record<string, (ctx: HeaderFormatContext) => string> = {
  DOWNSTREAM_REMOTE_ADDRESS: (c) => {
    if (!c.downstreamRemoteAddress) return '';
    const a = splitAddress(c.downstreamRemoteAddress);
    return formatAddress(a.ip, a.port);
  },
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (c) => (c.downstreamRemoteAddress ? splitAddress(c.downstreamRemoteAddress).ip : ''),
  UPSTREAM_REMOTE_ADDRESS: (c) => c.upstreamRemoteAddress ?? '',
  PROTOCOL: (c) => c.protocol ?? '',
  HOSTNAME: (c) => c.hostname ?? hostname(),
  // Envoy's default START_TIME format, %Y-%m-%dT%H:%M:%E3SZ, is ISO 8601 in UTC with milliseconds.
  START_TIME: (c) => (c.startTime ?? new Date()).toISOString(),
};

/** Parses a header value format string; throws ConfigRejected for what Envoy would refuse. */
export function parseFormat(format: string): Segment[] {
  const out: Segment[] = [];
  let lit = '';
  for (let i = 0; i < format.length; ) {
    const c = format[i]!;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    const m = /^%([A-Z][A-Z0-9_]*)(\([^)]*\))?(:\d+)?%/.exec(format.slice(i));
    if (!m) throw new ConfigRejected(`header value ${JSON.stringify(format)}: un-terminated variable expression at ${i}`);
    const cmd = COMMANDS[m[1]!];
    if (!cmd || m[2] !== undefined || m[3] !== undefined)
      throw new ConfigRejected(`header value ${JSON.stringify(format)}: unsupported command ${m[0]}`);
    if (lit) out.push(lit);
    lit = '';
    out.push(cmd);
    i += m[0].length;
  }
  if (lit) out.push(lit);
  return out;
}

const cache = new Map<string, Segment[]>();

export function formatValue(format: string, ctx: HeaderFormatContext): string {
  if (!format.includes('%')) return format;
  let segs = cache.get(format);
  if (!segs) {
    segs = parseFormat(format);
    // Formats come from configuration, so the set is small; the bound only guards against churn.
    if (cache.size > 10_000) cache.clear();
    cache.set(format, segs);
  }
  let out = '';
  for (const s of segs) out += typeof s === 'string' ? s : s(ctx);
  return out;
}
