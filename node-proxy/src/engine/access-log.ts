// Access logs: one JSON object per line per request or connection, written by
// Envoy's stdout, stderr and file access loggers. `log_format.json_format`
// chooses the keys and the command operators (%RESPONSE_CODE%, %REQ(:PATH)%,
// …) that fill them; without it, a default set close to Envoy's default
// format is written as JSON.
import { createWriteStream, type WriteStream } from 'node:fs';
import { decodeMessage } from '../../../api/src/any.js';
import { messageName } from '../../../api/src/type-urls.js';
import type { Decoded, Headers } from './types.js';

/** What one request or connection reports. Field names follow Envoy's command operators. */
export interface AccessLogEntry {
  startTime: Date;
  durationMs: number;
  protocol: string; // HTTP/1.1, HTTP/2 or '-' for TCP
  method?: string;
  path?: string;
  authority?: string;
  requestHeaders?: Headers;
  responseHeaders?: Headers;
  responseCode: number; // 0 for TCP
  responseFlags: string[];
  bytesReceived: number;
  bytesSent: number;
  upstreamHost?: string;
  upstreamCluster?: string;
  routeName?: string;
  downstreamRemoteAddress: string;
  downstreamLocalAddress: string;
  attempts?: number;
}

export interface AccessLogger {
  log(entry: AccessLogEntry): void;
  close(): void;
}

const DEFAULT_FORMAT: Record<string, string> = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  route_name: '%ROUTE_NAME%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
};

const STDOUT = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
const STDERR = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog';
const FILE = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

/** Builds the loggers of an `access_log` list (HCM or tcp_proxy). */
export function compileAccessLogs(list: Decoded[] | undefined, files: FileSinks): AccessLogger[] {
  const out: AccessLogger[] = [];
  for (const al of list ?? []) {
    const any = al.typed_config as { type_url: string; value: Buffer } | undefined;
    if (!any) continue;
    const cfg = decodeMessage(messageName(any.type_url), any.value);
    const format = jsonFormat(cfg.log_format as Decoded | undefined) ?? DEFAULT_FORMAT;
    const write =
      any.type_url === STDOUT
        ? (l: string) => void process.stdout.write(l)
        : any.type_url === STDERR
          ? (l: string) => void process.stderr.write(l)
          : any.type_url === FILE
            ? files.writer(String(cfg.path ?? '/dev/stdout'))
            : undefined;
    if (!write) continue;
    out.push({ log: (e) => write(JSON.stringify(render(format, e)) + '\n'), close: () => {} });
  }
  return out;
}

/** Shares one append stream per path among all loggers writing there. */
export class FileSinks {
  private readonly streams = new Map<string, WriteStream>();
  writer(path: string): (line: string) => void {
    let s = this.streams.get(path);
    if (!s) {
      s = createWriteStream(path, { flags: 'a' });
      s.on('error', () => {});
      this.streams.set(path, s);
    }
    const stream = s;
    return (line) => void stream.write(line);
  }
  close(): void {
    for (const s of this.streams.values()) s.end();
    this.streams.clear();
  }
}

function jsonFormat(logFormat: Decoded | undefined): Record<string, string> | undefined {
  const fields = (logFormat?.json_format as { fields?: Record<string, { stringValue?: string; numberValue?: number }> } | undefined)?.fields;
  if (!fields) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v.stringValue ?? String(v.numberValue ?? '');
  return out;
}

const NUMERIC = new Set(['%RESPONSE_CODE%', '%BYTES_RECEIVED%', '%BYTES_SENT%', '%DURATION%', '%UPSTREAM_REQUEST_ATTEMPT_COUNT%']);

function render(format: Record<string, string>, e: AccessLogEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, tmpl] of Object.entries(format)) {
    // A value that is exactly one numeric operator keeps its type, as Envoy's JSON formatter does.
    if (NUMERIC.has(tmpl)) {
      out[key] = Number(operator(tmpl.slice(1, -1), e) ?? 0);
      continue;
    }
    const whole = /^%[^%]+%$/.test(tmpl);
    const rendered = tmpl.replace(/%([A-Z_]+(?:\([^)]*\))?(?::\d+)?)%|%%/g, (m, op: string | undefined) => (op ? (operator(op, e) ?? '-') : '%'));
    out[key] = whole && rendered === '-' ? null : rendered;
  }
  return out;
}

function header(h: Headers | undefined, spec: string): string | undefined {
  for (const alt of spec.split('?')) {
    const name = alt.toLowerCase();
    const v = h?.[name];
    if (v !== undefined) return Array.isArray(v) ? v.join(',') : v;
  }
  return undefined;
}

function operator(op: string, e: AccessLogEntry): string | undefined {
  const req = /^REQ\((.+)\)(?::(\d+))?$/.exec(op);
  if (req) {
    const spec = req[1]!;
    let v: string | undefined;
    for (const alt of spec.split('?')) {
      const name = alt.toLowerCase();
      v = name === ':method' ? e.method : name === ':path' ? e.path : name === ':authority' ? e.authority : header(e.requestHeaders, name);
      if (v !== undefined) break;
    }
    return v !== undefined && req[2] ? v.slice(0, Number(req[2])) : v;
  }
  const resp = /^RESP\((.+)\)$/.exec(op);
  if (resp) return header(e.responseHeaders, resp[1]!);
  switch (op) {
    case 'START_TIME':
      return e.startTime.toISOString();
    case 'DURATION':
      return String(Math.round(e.durationMs));
    case 'PROTOCOL':
      return e.protocol;
    case 'RESPONSE_CODE':
      return String(e.responseCode);
    case 'RESPONSE_FLAGS':
      return e.responseFlags.length ? e.responseFlags.join(',') : '-';
    case 'BYTES_RECEIVED':
      return String(e.bytesReceived);
    case 'BYTES_SENT':
      return String(e.bytesSent);
    case 'UPSTREAM_HOST':
      return e.upstreamHost;
    case 'UPSTREAM_CLUSTER':
      return e.upstreamCluster;
    case 'ROUTE_NAME':
      return e.routeName;
    case 'DOWNSTREAM_REMOTE_ADDRESS':
      return e.downstreamRemoteAddress;
    case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
      return e.downstreamRemoteAddress.replace(/:\d+$/, '');
    case 'DOWNSTREAM_LOCAL_ADDRESS':
      return e.downstreamLocalAddress;
    case 'UPSTREAM_REQUEST_ATTEMPT_COUNT':
      return String(e.attempts ?? 0);
    default:
      return undefined;
  }
}
