// The configuration a `nodemesh lab` serves: the user's directory (examples/)
// with each loopback workload address (127.x) moved into its node's pod CIDR.
// A loopback address never leaves its node, so a service with loopback
// endpoints on two nodes (checkout-v1 127.0.0.11 on node-a, checkout-v2
// 127.0.0.12 on node-b) would fail for every request a proxy sends to the
// other node's endpoint; moved (to 10.244.1.11 and 10.244.2.12: the same last
// octet in the node's /24 when free), every endpoint is reachable from every
// node, over WireGuard when encryption is on. The user's files are not
// changed: the lab keeps a rewritten copy in <state-dir>/<name>/config, kept
// in sync by `nodemesh lab config-sync` (so editing a weight in examples/
// still shows on the next round). Rewritten: Workload spec.address and
// EndpointSlice endpoints[].addresses, matched by node (spec.node /
// nodeName; node-a when absent, as the lab places them); everything else is
// copied as is, comments included. The lab adds files of its own (the Node
// objects and the auth-required policy of the auth demo, lab-cmd.ts): they
// are written with the copy and never removed as "gone from the user's
// directory".
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isSeq, parseAllDocuments } from 'yaml';
import { isConfigFileName } from '../../xds-server/src/provider/file/list.js';

/** "<node> <loopback address>" → the address it has in the lab. */
export type AddressMoves = Record<string, string>;

export const moveKey = (node: string, address: string) => `${node} ${address}`;

function rewriteYaml(text: string, moves: AddressMoves): string {
  const docs = parseAllDocuments(text);
  if (docs.some((d) => d.errors.length)) return text; // the xds-server reports it, with positions in the user's file
  let changed = false;
  for (const doc of docs) {
    const kind = doc.get('kind');
    if (kind === 'Workload') {
      const node = String(doc.getIn(['spec', 'node']) ?? 'node-a');
      const to = moves[moveKey(node, String(doc.getIn(['spec', 'address'])))];
      if (to) {
        doc.setIn(['spec', 'address'], to);
        changed = true;
      }
    } else if (kind === 'EndpointSlice') {
      const eps = doc.get('endpoints');
      if (!isSeq(eps)) continue;
      for (const ep of eps.items) {
        if (!isMap(ep)) continue;
        const node = String(ep.get('nodeName') ?? 'node-a');
        const addrs = ep.get('addresses');
        if (!isSeq(addrs)) continue;
        addrs.items = addrs.items.map((a) => {
          const v = String((a as { value?: unknown }).value ?? a);
          const to = moves[moveKey(node, v)];
          if (!to) return a;
          changed = true;
          return doc.createNode(to);
        });
      }
    }
  }
  return changed ? docs.map((d) => d.toString()).join('') : text;
}

function configFiles(dir: string, base = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) configFiles(p, base, out);
    else if (isConfigFileName(name)) out.push(relative(base, p));
  }
  return out;
}

/** Makes `to` the rewritten copy of `from` plus `labFiles` (relative name → content; files written atomically; files gone from `from` removed). Returns how many files changed. */
export function syncLabConfig(from: string, to: string, moves: AddressMoves, labFiles: Record<string, string> = {}): number {
  mkdirSync(to, { recursive: true });
  const files = configFiles(from).filter((f) => !(f in labFiles));
  let changed = 0;
  const texts = [...files.map((f) => [f, rewriteYaml(readFileSync(join(from, f), 'utf8'), moves)] as const), ...Object.entries(labFiles)];
  for (const [f, text] of texts) {
    const dst = join(to, f);
    if (existsSync(dst) && readFileSync(dst, 'utf8') === text) continue;
    mkdirSync(join(dst, '..'), { recursive: true });
    writeFileSync(`${dst}.tmp`, text);
    renameSync(`${dst}.tmp`, dst);
    changed++;
  }
  const keep = new Set([...files, ...Object.keys(labFiles)]);
  for (const f of existsSync(to) ? configFiles(to) : [])
    if (!keep.has(f)) {
      rmSync(join(to, f), { force: true });
      changed++;
    }
  return changed;
}

/** `nodemesh lab config-sync` (internal, run by lab up): keeps the copy in sync until killed. */
export function runConfigSync(from: string, to: string, moves: AddressMoves, labFiles: Record<string, string> = {}): void {
  let timer: NodeJS.Timeout | undefined;
  const sync = () => {
    try {
      const n = syncLabConfig(from, to, moves, labFiles);
      if (n) console.log(JSON.stringify({ time: new Date().toISOString(), msg: 'config synced', from, to, files: n }));
    } catch (e) {
      console.log(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'config sync failed', error: (e as Error).message }));
    }
  };
  sync();
  // fs.watch for promptness, a timer for what it misses (editors that replace directories, nested dirs on Node 20).
  watch(from, { recursive: false }, () => {
    clearTimeout(timer);
    timer = setTimeout(sync, 100);
  });
  setInterval(sync, 2000);
  console.log(JSON.stringify({ time: new Date().toISOString(), msg: 'config sync running', from, to }));
}
