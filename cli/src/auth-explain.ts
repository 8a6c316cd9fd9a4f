// `nodemesh auth explain --from IP --to IP:PORT`: what this node's datapath
// does with that flow and which auth entry (who, when, which certificates)
// lets it through, read from the pinned maps (auth/src/explain.ts).
import { AuthDatapath, bootTimeNs } from '../../bpf/sockmap/src/auth-map.js';
import { explainFlow, formatExplanation } from '../../auth/src/explain.js';

export function runAuthExplain(flags: { pinRoot: string; from: string; to: string; json?: boolean }, write: (s: string) => void = (s) => process.stdout.write(s)): void {
  const i = flags.to.lastIndexOf(':');
  const port = Number(flags.to.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`nodemesh auth explain: --to ${flags.to}: expected IPv4:port`);
    process.exitCode = 2;
    return;
  }
  let dp: AuthDatapath;
  try {
    dp = AuthDatapath.open(flags.pinRoot);
  } catch (err) {
    console.error(`nodemesh auth explain: ${(err as Error).message}`);
    process.exitCode = 2;
    return;
  }
  try {
    const e = explainFlow(dp, flags.from, { address: flags.to.slice(0, i), port }, { bootNs: bootTimeNs(), ms: Date.now() });
    write(flags.json ? `${JSON.stringify(e, null, 2)}\n` : formatExplanation(e));
  } finally {
    dp.close();
  }
}
