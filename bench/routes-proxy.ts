// The proxy side of `npm run bench:routes`: one echo backend and the embedded
// engine (the node proxy), in their own process so that the engine has its own
// event loop and the control plane's measurements are not mixed with it.
// Driven over IPC by bench/routes.ts:
//   child  → {op:'echo', port}            once the echo backend listens
//   parent → {op:'start', xds}            child → {op:'ready'} once the engine is LIVE
//   parent → {op:'probe', id, port, host, path, expect}
//   child  → {op:'probed', id, at, tries} when a request through the gateway
//            for (host, path) is answered 200 by the backend with x-route = expect
//   child  → {op:'rds', at, version}      whenever the engine accepts a RouteConfiguration response
//   parent → {op:'stats'}                 child → {op:'stats', rssBytes, peakRssBytes}
// Times are wall-clock ms (performance.timeOrigin + now()), comparable across
// the two processes. The child exits when the parent goes away.
import http from 'node:http';
import type net from 'node:net';
import { TypeUrl } from '../api/src/type-urls.js';
import { EmbeddedEngine } from '../node-proxy/src/engine/engine.js';
import { silentLogger } from '../xds-server/src/log.js';

type Msg =
  | { op: 'start'; xds: string }
  | { op: 'probe'; id: number; port: number; host: string; path: string; expect: string }
  | { op: 'stats' };

const now = () => performance.timeOrigin + performance.now();
const send = (m: object) => process.send!(m);

// The backend of every service: answers with the x-route header the route
// set, so a probe knows which route (not only which host) matched.
const echo = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ route: req.headers['x-route'] ?? null, host: req.headers.host, path: req.url }));
});
await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
send({ op: 'echo', port: (echo.address() as net.AddressInfo).port });

let engine: EmbeddedEngine | undefined;
/** Woken on every accepted xDS response, so that a waiting probe retries at once. */
let wake: (() => void) | undefined;

function get(port: number, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    // A new connection per try: the listener may be replaced while we wait.
    const req = http.get({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.setTimeout(5000, () => req.destroy());
  });
}

async function probe(m: Extract<Msg, { op: 'probe' }>): Promise<void> {
  let tries = 0;
  const deadline = Date.now() + 120_000;
  for (;;) {
    tries++;
    const r = await get(m.port, m.host, m.path);
    if (r.status === 200) {
      try {
        if ((JSON.parse(r.body) as { route: string | null }).route === m.expect) {
          send({ op: 'probed', id: m.id, at: now(), tries });
          return;
        }
      } catch {
        // not the echo backend's answer
      }
    }
    if (Date.now() > deadline) {
      send({ op: 'probed', id: m.id, at: NaN, tries, error: `last answer ${r.status} ${r.body.slice(0, 200)}` });
      return;
    }
    // Retry when the engine applies the next response, or after 5 ms (it
    // applies asynchronously after accepting, so a wake-up may come early).
    await new Promise<void>((r) => {
      const t = setTimeout(() => r(), 5);
      wake = () => {
        clearTimeout(t);
        setImmediate(r);
      };
    });
    wake = undefined;
  }
}

process.on('message', (m: Msg) => {
  if (m.op === 'start') {
    engine = new EmbeddedEngine({ xdsAddress: m.xds, node: { id: 'bench-routes', cluster: 'bench' }, log: silentLogger, drainTimeMs: 1000 });
    engine.xds.onChange((typeUrl) => {
      if (typeUrl === TypeUrl.RouteConfiguration) {
        const versions = [...engine!.xds.resources(TypeUrl.RouteConfiguration).values()].map((r) => r.version);
        send({ op: 'rds', at: now(), version: versions.join(',') });
      }
      wake?.();
    });
    engine.start();
    const deadline = Date.now() + 300_000;
    const poll = setInterval(() => {
      if (engine!.ready()) {
        clearInterval(poll);
        send({ op: 'ready' });
      } else if (Date.now() > deadline) {
        clearInterval(poll);
        send({ op: 'failed', error: `engine not ready after 300 s; last NACK: ${JSON.stringify(engine!.xds.lastNack ?? null)}` });
      }
    }, 10);
  } else if (m.op === 'probe') {
    void probe(m);
  } else if (m.op === 'stats') {
    send({ op: 'stats', rssBytes: process.memoryUsage().rss, peakRssBytes: process.resourceUsage().maxRSS * 1024, nack: engine?.xds.lastNack ?? null });
  }
});

// The parent went away (finished, failed or Ctrl-C): stop, flushing --cpu-prof.
const stop = () => {
  setTimeout(() => process.exit(0), 3000).unref();
  void Promise.allSettled([engine?.stop(), new Promise((r) => echo.close(r))]).then(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', () => {}); // Ctrl-C reaches the whole group; the parent decides
