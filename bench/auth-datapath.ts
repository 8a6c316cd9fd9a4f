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
// later connections'.
//   preauth    with --preauthenticate: the first connection ever of each of
//              `flows` client identities (one workload each, all named by the
//              policy), whose pair the agents authenticated when the
//              configuration arrived; paired with a plain connection of the
//              same client.
// Needs root and the built objects; otherwise the rows
// are skipped with the reason (printed, never invented).
import { DEFAULT_OBJECTS_DIR, objectsMissing } from '../bpf/sockmap/src/preflight.js';
import { AuthLab, authPolicy } from '../e2e/lab/auth-lab.js';
import { labUnavailable } from '../e2e/lab/lab.js';

const SERVER = '10.244.1.10';
const CLIENT = '10.244.2.10';
const POLICY = authPolicy({ name: 'bench-auth', app: 'server', from: 'client', port: 8080 });

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

/** With --preauthenticate: each of `flows` clients' first connection ever, and a plain one of the same client, in ms. */
export async function measurePreauthenticated(flows: number): Promise<{ first: number[]; plain: number[]; pairs: number }> {
  const clients = Array.from({ length: flows }, (_, i) => ({ name: `client-${i}`, sa: `client-${i}`, address: `10.244.2.${20 + i}`, node: 'n2' as const, app: 'client' }));
  if (flows > 200) throw new Error('at most 200 pre-authenticated clients (one address each in 10.244.2.20-219)');
  const al = await AuthLab.create({
    tag: 'benchpre',
    workloads: [{ name: 'server', sa: 'server', address: SERVER, node: 'n1', app: 'server' }, ...clients],
    policies: POLICY,
    authArgs: ['--preauthenticate'],
  });
  try {
    await al.startServer(`${SERVER}:8080:echo,${SERVER}:9090:echo`);
    const client = await al.startClient();
    const preauth = () => (al.authStatus(al.n2) as { preauth?: { authenticated: number } }).preauth?.authenticated ?? 0;
    for (const until = Date.now() + 120_000; preauth() < flows; ) {
      if (Date.now() > until) throw new Error(`only ${preauth()} of ${flows} pairs pre-authenticated`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const rtt = async (port: number, local: string): Promise<number> => {
      const r = await client.send({ op: 'rtt', host: SERVER, port, local });
      if (r.result !== 'reply') throw new Error(`connection to ${port} from ${local} failed: ${JSON.stringify(r)}`);
      return Number(r.us) / 1000;
    };
    const straight = al.count(al.n2, 'auth_connect_authenticated');
    const out = { first: [] as number[], plain: [] as number[], pairs: preauth() };
    for (const c of clients) {
      out.first.push(await rtt(8080, c.address));
      out.plain.push(await rtt(9090, c.address));
    }
    const held = al.count(al.n2, 'auth_connect_held');
    const went = al.count(al.n2, 'auth_connect_authenticated') - straight;
    if (held !== 0n || went !== BigInt(flows)) throw new Error(`${held} held, ${went} straight of ${flows}: the benchmark did not measure what it says`);
    return out;
  } finally {
    al.teardown();
  }
}
