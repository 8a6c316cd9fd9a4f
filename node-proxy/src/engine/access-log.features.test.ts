// Feature-matrix proofs for the stdout and stderr access loggers and the
// json_format operators, on the loggers the filters build.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packAny } from '../../../api/src/any.js';
import { compileAccessLogs, FileSinks, type AccessLogEntry } from './access-log.js';
import { decoded } from './testing/decoded.js';

const STDOUT = 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
const STDERR = 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog';

const entry: AccessLogEntry = {
  startTime: new Date('2024-05-01T10:00:00.000Z'),
  durationMs: 12.4,
  protocol: 'HTTP/1.1',
  method: 'POST',
  path: '/orders?id=7',
  authority: 'shop.local',
  requestHeaders: { 'user-agent': 'curl/8', 'x-request-id': 'abc' },
  responseHeaders: { 'content-type': 'application/json' },
  responseCode: 503,
  responseFlags: ['UF', 'URX'],
  bytesReceived: 10,
  bytesSent: 20,
  upstreamHost: '10.0.0.1:8080',
  upstreamCluster: 'orders',
  routeName: 'r1',
  downstreamRemoteAddress: '10.1.0.5:40000',
  downstreamLocalAddress: '10.96.0.1:80',
  attempts: 2,
};

const json = (fields: Record<string, string>) => ({ json_format: { fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { stringValue: v }])) } });

/** Lines written to process.stdout / process.stderr while `fn` runs. */
function capture(stream: 'stdout' | 'stderr', fn: () => void): string[] {
  const s = process[stream];
  const original = s.write;
  const lines: string[] = [];
  s.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof s.write;
  try {
    fn();
  } finally {
    s.write = original;
  }
  return lines;
}

describe('access loggers', () => {
  it('stdout and stderr loggers write one JSON line per entry in their log_format', () => {
    const files = new FileSinks();
    const [out] = compileAccessLogs([decoded('envoy.config.accesslog.v3.AccessLog', { name: 'out', typed_config: packAny(STDOUT, { log_format: json({ code: '%RESPONSE_CODE%' }) }) })], files);
    const [err] = compileAccessLogs([decoded('envoy.config.accesslog.v3.AccessLog', { name: 'err', typed_config: packAny(STDERR, { log_format: json({ flags: '%RESPONSE_FLAGS%' }) }) })], files);
    assert.deepEqual(capture('stdout', () => out!.log(entry)), ['{"code":503}\n']);
    assert.deepEqual(capture('stderr', () => err!.log(entry)), ['{"flags":"UF,URX"}\n']);
    files.close();
  });

  it('json_format operators render per entry; numbers stay numbers and missing values are null', () => {
    const files = new FileSinks();
    const format = json({
      start: '%START_TIME%',
      duration: '%DURATION%',
      protocol: '%PROTOCOL%',
      method: '%REQ(:METHOD)%',
      path: '%REQ(:PATH)%',
      ua: '%REQ(USER-AGENT)%',
      ct: '%RESP(CONTENT-TYPE)%',
      upstream: '%UPSTREAM_HOST%',
      cluster: '%UPSTREAM_CLUSTER%',
      route: '%ROUTE_NAME%',
      peer: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%',
      local: '%DOWNSTREAM_LOCAL_ADDRESS%',
      attempts: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%',
      bytes: '%BYTES_RECEIVED%/%BYTES_SENT%',
      missing: '%REQ(X-NOT-SENT)%',
    });
    const [out] = compileAccessLogs([decoded('envoy.config.accesslog.v3.AccessLog', { name: 'out', typed_config: packAny(STDOUT, { log_format: format }) })], files);
    const [line] = capture('stdout', () => out!.log(entry));
    assert.deepEqual(JSON.parse(line!), {
      start: '2024-05-01T10:00:00.000Z',
      duration: 12,
      protocol: 'HTTP/1.1',
      method: 'POST',
      path: '/orders?id=7',
      ua: 'curl/8',
      ct: 'application/json',
      upstream: '10.0.0.1:8080',
      cluster: 'orders',
      route: 'r1',
      peer: '10.1.0.5',
      local: '10.96.0.1:80',
      attempts: 2,
      bytes: '10/20',
      missing: null,
    });
    files.close();
  });
});
