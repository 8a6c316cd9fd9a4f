// What Envoy's tls_inspector listener filter learns from the first bytes of a
// connection: whether it is TLS, and the ClientHello's SNI and ALPN. Needed to
// choose a filter chain by server_names / application_protocols before any
// TLS is terminated (or when it is passed through untouched).

export interface ClientHelloInfo {
  tls: boolean;
  serverName?: string;
  alpn: string[];
}

/**
 * Parses `buf`; returns undefined when more bytes are needed to decide.
 * Never throws: malformed input is "not TLS" or "TLS without SNI".
 */
export function parseClientHello(buf: Buffer): ClientHelloInfo | undefined {
  if (buf.length < 1) return undefined;
  if (buf[0] !== 0x16) return { tls: false, alpn: [] }; // not a handshake record
  if (buf.length >= 2 && buf[1] !== 0x03) return { tls: false, alpn: [] };
  if (buf.length < 5) return undefined;
  const recordLen = buf.readUInt16BE(3);
  if (buf.length < 5 + Math.min(recordLen, 16384)) return undefined;
  const info: ClientHelloInfo = { tls: true, alpn: [] };
  try {
    let p = 5;
    if (buf[p] !== 0x01) return info; // not a ClientHello
    p += 4; // type + length
    p += 2 + 32; // version + random
    p += 1 + buf[p]!; // session id
    p += 2 + buf.readUInt16BE(p); // cipher suites
    p += 1 + buf[p]!; // compression methods
    if (p + 2 > buf.length) return info;
    const extEnd = p + 2 + buf.readUInt16BE(p);
    p += 2;
    while (p + 4 <= extEnd && p + 4 <= buf.length) {
      const type = buf.readUInt16BE(p);
      const len = buf.readUInt16BE(p + 2);
      const body = buf.subarray(p + 4, p + 4 + len);
      if (type === 0 && body.length >= 5 && body[2] === 0) info.serverName = body.subarray(5, 5 + body.readUInt16BE(3)).toString('ascii').toLowerCase();
      if (type === 16 && body.length >= 2) {
        for (let q = 2; q < body.length; ) {
          const n = body[q]!;
          info.alpn.push(body.subarray(q + 1, q + 1 + n).toString('ascii'));
          q += 1 + n;
        }
      }
      p += 4 + len;
    }
  } catch {
    // A truncated extension list: keep what was read.
  }
  return info;
}
