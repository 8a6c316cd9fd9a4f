// Real HTTP on loopback for the route tests: echo backends that answer with
// which service they are and the request they saw, and a keep-alive client
// that reads that answer back (or the proxy's local reply).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface Seen {
  service: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The backend's echo; undefined for a local reply (redirect, 404, 500, 503). */
  seen?: Seen;
}

/** `host`: the loopback address to listen on (127.0.0.0/8 is all local), so several endpoints of one Service can differ by address. */
export async function echo(service: string, host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const seen: Seen = { service, path: req.url ?? '', headers: req.headers };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(seen));
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

function collect(resolve: (a: Answer) => void) {
  return (res: http.IncomingMessage) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => {
      let seen: Seen | undefined;
      try {
        seen = JSON.parse(body) as Seen;
      } catch {
        // a local reply
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body, seen });
    });
  };
}

/** A keep-alive client; `destroy()` it in after(). */
export class EchoClient {
  private readonly agent = new http.Agent({ keepAlive: true });

  get(port: number, path: string, host: string, headers: http.OutgoingHttpHeaders = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path, agent: this.agent, headers: { host, ...headers } }, collect(resolve)).on('error', reject);
    });
  }

  /** HTTPS with SNI `host`; the certificate is not verified (the tests check routing, not trust). */
  getTls(port: number, path: string, host: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path, servername: host, headers: { host }, rejectUnauthorized: false, agent: false }, collect(resolve)).on('error', reject);
    });
  }

  destroy(): void {
    this.agent.destroy();
  }
}
