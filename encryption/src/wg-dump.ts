// `wg show <if> dump`: WireGuard's machine-readable status, one tab-separated
// line for the interface, then one per peer (wg(8), "dump"). The interface
// line starts with the PRIVATE key; the parser drops it on the spot so it can
// never reach a status document or a log.

export interface WgInterfaceDump {
  publicKey: string | undefined;
  listenPort: number;
  fwmark: string | undefined;
}

export interface WgPeerDump {
  publicKey: string;
  /** ip:port or [ip6]:port; undefined until known. */
  endpoint: string | undefined;
  allowedIPs: string[];
  /** Unix seconds of the last completed handshake; 0 = never. */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
  /** Seconds, or undefined when off. */
  persistentKeepalive: number | undefined;
}

export interface WgDump {
  iface: WgInterfaceDump;
  peers: WgPeerDump[];
}

const none = (v: string | undefined) => (v === undefined || v === '(none)' || v === 'off' ? undefined : v);

export function parseWgDump(text: string): WgDump {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const first = lines.shift();
  if (first === undefined) throw new Error('wg show dump: empty output');
  const f = first.split('\t');
  if (f.length !== 4) throw new Error(`wg show dump: interface line has ${f.length} fields, expected 4`);
  // f[0] is the private key: deliberately not read.
  const iface: WgInterfaceDump = { publicKey: none(f[1]), listenPort: Number(f[2]), fwmark: none(f[3]) };
  const peers = lines.map((line, i): WgPeerDump => {
    const p = line.split('\t');
    if (p.length !== 8) throw new Error(`wg show dump: peer line ${i + 1} has ${p.length} fields, expected 8`);
    const allowed = none(p[3]);
    const keepalive = none(p[7]);
    return {
      publicKey: p[0]!,
      // p[1] is the preshared key (unused by nodemesh): not read either.
      endpoint: none(p[2]),
      allowedIPs: allowed === undefined ? [] : allowed.split(','),
      latestHandshake: Number(p[4]),
      rxBytes: Number(p[5]),
      txBytes: Number(p[6]),
      persistentKeepalive: keepalive === undefined ? undefined : Number(keepalive),
    };
  });
  return { iface, peers };
}
