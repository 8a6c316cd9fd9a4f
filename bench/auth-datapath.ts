// The datapath rows of `npm run bench:auth`: the same kind of connection
// (connect + 1-byte echo + close, timed inside the client workload) through
// the real datapath of two lab nodes (e2e/lab/auth-lab.ts): BPF connect
// hook, auth gate, out-of-band handshake between the two nodes' auth agents
// over the lab link, receive-side check.
//   first      no entry on either node (both deleted before each one): held
//              by the gate, one handshake, forwarded, echoed;
//   later      the entry exists: straight, the connect hook reads the map;
//   plain      a port that requires nothing, same pair, same path.
// first − plain is the first connection's added latency; later − plain the
// later connections'. Needs root and the built objects; otherwise the rows
// are skipped with the reason (printed, never invented).
import { DEFAULT_OBJECTS_DIR, objectsMissing } from '../bpf/sockmap/src/preflight.js';
import { AuthLab } from '../e2e/lab/auth-lab.js';
import { labUnavailable } from '../e2e/lab/lab.js';

const SERVER = '10.244.1.10';
const CLIENT = '10.244.2.10';
const POLICY = `apiVersion: nodemesh.io/v1alpha1
kind: MeshPolicy
metadata: { name: bench-auth, namespace: shop }
spec:
  endpointSelector: { matchLabels: { app: server } }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: client } }]
      toPorts: [{ ports: [{ port: "8080", protocol: TCP }] }]
      authentication: { mode: required }
`;

export interface DatapathSamples {
  first: number[];
  later: number[];
  plain: number[];
}

export function datapathUnavailable(): string | undefined {
  return labUnavailable() ?? objectsMissing(DEFAULT_OBJECTS_DIR, ['auth_ingress', 'auth_connect4']);
}

/** `flows` rounds of first, later and plain connections, in ms. */
export async function measureDatapath(flows: number): Promise<DatapathSamples> {
  const al = await AuthLab.create({
    tag: 'benchauth',
    workloads: [
      { name: 'server', sa: 'server', address: SERVER, node: 'n1', app: 'server' },
      { name: 'client', sa: 'client', address: CLIENT, node: 'n2', app: 'client' },
    ],
    policies: POLICY,
  });
  try {
    await al.startServer(`${SERVER}:8080:echo,${SERVER}:9090:echo`);
    const client = await al.startClient();
    const rtt = async (port: number): Promise<number> => {
      const r = await client.send({ op: 'rtt', host: SERVER, port, local: CLIENT });
      if (r.result !== 'reply') throw new Error(`connection to ${port} failed: ${JSON.stringify(r)}`);
      return Number(r.us) / 1000;
    };
    const forget = () => {
      for (const n of [al.n1, al.n2]) for (const e of n.dp.listAuth()) n.dp.deleteAuth(e.key);
    };
    const s: DatapathSamples = { first: [], later: [], plain: [] };
    for (let i = 0; i < 20; i++) {
      forget();
      await rtt(8080);
      await rtt(8080);
      await rtt(9090);
    }
    for (let i = 0; i < flows; i++) {
      forget();
      s.first.push(await rtt(8080));
      s.later.push(await rtt(8080));
      s.plain.push(await rtt(9090));
    }
    const held = al.count(al.n2, 'auth_connect_held');
    if (held < BigInt(flows)) throw new Error(`only ${held} connections went through the gate: the benchmark did not measure what it says`);
    return s;
  } finally {
    al.teardown();
  }
}
