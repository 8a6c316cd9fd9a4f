// npm run bench:proxy -- [--duration 10] [--warmup 2] [--tcp-mib 512] [--profile]
//
// The embedded engine (nodemesh's L7 proxy, programmed over xDS) against nginx
// as the reference proxy, in the same run on this machine, both given the
// same route to the same backend:
//
//   backend   nginx, 1 worker, `return 200 "ok\n"` on 127.0.0.1 (HTTP/1.1
//             keep-alive); a cheap answer so that it is never the bottleneck
//             (the "direct" rows show the ceiling of load generator + backend).
//   proxies   nginx, 1 worker: proxy_pass to an upstream with keepalive 128,
//             and `stream {}` for TCP. The engine, 1 process
//             (bench/proxy-engine.ts): HCM listener, codec AUTO, route "/" →
//             a STATIC cluster of the backend, and a tcp_proxy listener.
//             Both speak HTTP/1.1 upstream, also when the client speaks h2c.
//   load      wrk (HTTP/1.1 keep-alive) and h2load (h2c, prior knowledge),
//             closed loop: as many requests as the proxy answers. Then
//             h2load at a fixed rate, half of nginx's maximum, to compare
//             latency at the same offered load.
//   TCP       a sink and a source, each its own process, push N MiB over
//             loopback: direct, through nginx stream and the engine's tcp_proxy.
//
// Every process here is a child of this one (the engine too, so the harness
// never shares its event loop); all are stopped, and the temp dir removed, on
// exit, failure or Ctrl-C. --profile re-runs the closed-loop loads against an
// engine started with --cpu-prof and summarises where its CPU went.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarizeProfile } from './proxy-profile.js';
import { freePort } from '../tools/free-port.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'tcp-mib': { type: 'string', default: '512' },
    profile: { type: 'boolean', default: false },
  },
});
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const TCP_MIB = Number(args['tcp-mib']);
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');

// ---- tools: each one missing is named with the Debian package that has it ----

const onPath = (cmd: string) => {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : onPath('nginx');
const missing = [
  !NGINX && 'nginx (Debian package: nginx)',
  !onPath('wrk') && 'wrk (Debian package: wrk)',
  !onPath('h2load') && 'h2load (Debian package: nghttp2-client)',
].filter(Boolean);
if (missing.length) {
  console.error(`bench:proxy needs ${missing.join(', ')}; install with: apt-get install -y nginx wrk nghttp2-client`);
  process.exit(2);
}
// Debian builds nginx's stream module as a dynamic module, packaged apart.
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
// nginx -v and -V print to stderr.
const nginxInfo = (flag: string) => spawnSync(NGINX, [flag], { encoding: 'utf8' }).stderr.trim();
const streamLoad = existsSync(STREAM_MODULE) ? `load_module ${STREAM_MODULE};` : /--with-stream(?=\s|$)/m.test(nginxInfo('-V')) ? '' : undefined;

// ---- children and cleanup ----

const tmp = mkdtempSync(join(os.tmpdir(), 'nodemesh-bench-proxy-'));
const children = new Set<ChildProcess>();
function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}
// 'exit' also runs after an uncaught error; only synchronous work is possible
// there, so children are signalled (nginx's master stops its workers on TERM).
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(sig, () => {
    console.error(`\n${sig}: stopping`);
    process.exit(130);
  });

/** Runs a command to completion; rejects with its output when it fails. */
function exec(cmd: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = track(spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}:\n${err}${out}`))));
  });
}

/** Starts a TypeScript child that prints one JSON line when it is ready. */
async function startNode<T>(script: string, argv: string[], execArgv: string[] = []): Promise<{ child: ChildProcess; info: T }> {
  const child = track(spawn(process.execPath, [...execArgv, '--import', 'tsx', join(HERE, script), ...argv], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] }));
  const info = await new Promise<T>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(JSON.parse(buf.slice(0, buf.indexOf('\n'))) as T);
    });
    child.on('exit', (code, signal) => reject(new Error(`${script} exited (${code ?? signal}) before it was ready; its stderr is above`)));
  });
  return { child, info };
}

async function waitForPort(port: number, owner: ChildProcess, why: () => string): Promise<void> {
  for (const deadline = Date.now() + 10_000; ; ) {
    if (owner.exitCode !== null || owner.signalCode) throw new Error(`exited before listening on ${port}: ${why()}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after 10 s: ${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- nginx ----

/** A self-contained nginx: its pid, logs and temp paths all in its own dir under tmp. */
async function startNginx(name: string, workers: number, body: (dir: string) => string, ports: number[], mainExtra = ''): Promise<ChildProcess> {
  const dir = join(tmp, name);
  mkdirSync(dir);
  const conf = `# generated by bench/proxy.ts
daemon off;
master_process on;
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
${mainExtra}
events { worker_connections 4096; }
${body(dir)}`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = track(spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'inherit', 'inherit'] }));
  const log = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '(no error.log)');
  for (const p of ports) await waitForPort(p, child, log);
  return child;
}

// keepalive_requests: nginx closes a keep-alive connection after 1000
// requests by default (downstream and, per upstream, to the backend); neither
// wrk nor the engine would, so this lifts it.
const httpCommon = (dir: string) => `access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;`;

// ---- measurement ----

const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
/** user + system CPU seconds of these processes (all their threads), from /proc. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICK;
}
function childPids(ppid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const s = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === ppid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

interface Result {
  rps: number;
  p50: number; // ms
  p99: number; // ms
  errors: number;
  /** The proxy's CPU use during the run, in cores (1 = one core busy all the time). */
  cpu?: number;
}

async function withCpu<T extends object>(pids: number[], run: () => Promise<T>): Promise<T & { cpu?: number }> {
  if (!pids.length) return run();
  const c0 = cpuSeconds(pids);
  const t0 = performance.now();
  const r = await run();
  return { ...r, cpu: (cpuSeconds(pids) - c0) / ((performance.now() - t0) / 1000) };
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

async function wrk(port: number, seconds: number): Promise<Result> {
  const out = await exec('wrk', ['-t1', '-c50', `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`]);
  const lat = (p: number) => {
    const m = out.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm'));
    return m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
  };
  const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const non2xx = out.match(/Non-2xx or 3xx responses: (\d+)/);
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN),
    p50: lat(50),
    p99: lat(99),
    errors: (socket ? socket.slice(1).reduce((a, n) => a + Number(n), 0) : 0) + Number(non2xx?.[1] ?? 0),
  };
}

/**
 * h2load prints only min/max/mean/sd of request time, so the percentiles come
 * from its per-request log (--log-file: start, status, µs to end of response).
 * `rate` runs it at a fixed offered rate (--rps, per connection).
 */
async function h2load(port: number, seconds: number, opts: { h1?: boolean; rate?: number } = {}): Promise<Result & { offered?: number }> {
  const [c, m] = opts.h1 ? [50, 1] : [10, 10];
  const perConn = opts.rate ? Math.max(1, Math.round(opts.rate / c)) : 0;
  const log = join(tmp, 'h2load.log');
  const argv = ['-c', String(c), '-m', String(m), '-D', String(seconds), '--log-file', log];
  if (opts.h1) argv.push('--h1');
  if (perConn) argv.push('--rps', String(perConn));
  const out = await exec('h2load', [...argv, `http://127.0.0.1:${port}/`]);
  // "failed" counts non-2xx/3xx answers as well as resets and timeouts ("errored" ⊂ "failed").
  const failed = out.match(/requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/);
  // Latency of answered requests only: a reset stream is not a fast answer.
  const rows = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
  const us = Float64Array.from(rows.filter((r) => /^[23]\d\d$/.test(r[1]!)).map((r) => Number(r[2]))).sort();
  rmSync(log);
  const pct = (p: number) => (us.length ? us[Math.min(us.length - 1, Math.floor((p / 100) * us.length))]! / 1000 : NaN);
  return {
    rps: Number(out.match(/finished in [\d.]+s, ([\d.]+) req\/s/)?.[1] ?? NaN),
    p50: pct(50),
    p99: pct(99),
    errors: failed ? Number(failed[1]) : NaN,
    ...(perConn ? { offered: perConn * c } : {}),
  };
}

/** The TCP source as its own process; returns MiB/s. */
async function push(port: number, mib: number): Promise<number> {
  const out = await exec(process.execPath, ['--import', 'tsx', join(HERE, 'proxy-tcp.ts'), 'source', '--port', String(port), '--mib', String(mib)]);
  const { ms } = JSON.parse(out) as { ms: number };
  return mib / (ms / 1000);
}

// ---- output ----

const rps = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n: number) => (Number.isFinite(n) ? `${n < 1 ? n.toFixed(3) : n.toFixed(2)} ms` : 'n/a');
const cores = (n?: number) => (n === undefined ? '—' : `${(n * 100).toFixed(0)}%`);
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

// ---- the run ----

async function main(): Promise<void> {
  const nginxVersion = nginxInfo('-v').replace(/^nginx version: /, '');
  const h2loadVersion = (await exec('h2load', ['--version'])).trim();
  const wrkVersion = spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.split(' [')[0]!.trim();
  const cpu = os.cpus();
  console.log(`# nodemesh proxy benchmark: embedded engine vs nginx`);
  console.log(`\nMachine: ${cpu[0]?.model ?? '?'}, ${cpu.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}; node ${process.version}; ${nginxVersion}; ${wrkVersion}; ${h2loadVersion}`);
  console.log(`Each load: ${WARMUP} s warm-up (discarded), then ${DURATION} s measured. "proxy CPU" is the proxy's CPU use during the measured run (100% = one core).`);

  const [b1, b2, n1, n2, nt] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  await startNginx('backend', 1, (dir) => `http {
  ${httpCommon(dir)}
  server {
    listen 127.0.0.1:${b1};
    listen 127.0.0.1:${b2} http2;
    location / { return 200 "ok\\n"; }
  }
}`, [b1, b2]);

  const sink = await startNode<{ port: number }>('proxy-tcp.ts', ['sink']);
  const sinkPort = sink.info.port;

  const nginx = await startNginx('proxy', 1, (dir) => `http {
  ${httpCommon(dir)}
  # keepalive 128, not 64: h2load keeps 100 requests in flight, each needing
  # its own upstream connection; with 64 cached, nginx closes the others after
  # every request (thousands of TIME-WAITs, ~15% fewer req/s).
  upstream backend {
    server 127.0.0.1:${b1};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${n1};
    listen 127.0.0.1:${n2} http2;  # h2c, prior knowledge
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
${streamLoad === undefined ? '' : `stream {
  upstream sink { server 127.0.0.1:${sinkPort}; }
  server { listen 127.0.0.1:${nt}; proxy_pass sink; }
}`}`, streamLoad === undefined ? [n1, n2] : [n1, n2, nt], streamLoad ?? '');
  const nginxWorkers = childPids(nginx.pid!);

  const startEngine = (execArgv: string[] = []) => startNode<{ http: number; tcp: number }>('proxy-engine.ts', ['--backend', String(b1), '--sink', String(sinkPort)], execArgv);
  const engine = await startEngine();
  const alive = () => {
    if (engine.child.exitCode !== null || engine.child.signalCode) throw new Error(`the engine process exited (${engine.child.exitCode ?? engine.child.signalCode}) during the run; its stderr is above`);
  };

  // One load generator per protocol; the same one for every target.
  const protocols = [
    { name: 'HTTP/1.1', tool: `wrk -t1 -c50 -d${DURATION}s --latency`, ports: { direct: b1, nginx: n1, engine: engine.info.http }, load: (p: number, s: number) => wrk(p, s), h1: true },
    { name: 'HTTP/2 (h2c, prior knowledge)', tool: `h2load -c10 -m10 -D ${DURATION}`, ports: { direct: b2, nginx: n2, engine: engine.info.http }, load: (p: number, s: number) => h2load(p, s), h1: false },
  ];
  const verdicts: string[] = [];
  for (const proto of protocols) {
    const results: Record<string, Result> = {};
    for (const [target, pids] of [['direct', []], ['nginx', nginxWorkers], ['engine', [engine.child.pid!]]] as const) {
      await proto.load(proto.ports[target], WARMUP);
      results[target] = await withCpu([...pids], () => proto.load(proto.ports[target], DURATION));
      if (target === 'engine') alive();
    }
    const { direct, nginx: ng, engine: en } = results as Record<'direct' | 'nginx' | 'engine', Result>;

    // The same offered rate for both proxies: half of nginx's maximum, the goal's bar.
    const rate = Math.round(ng.rps / 2);
    const fixed: Record<string, Result & { offered?: number }> = {};
    for (const [target, pids] of [['nginx', nginxWorkers], ['engine', [engine.child.pid!]]] as const) {
      await h2load(proto.ports[target], WARMUP, { h1: proto.h1, rate });
      fixed[target] = await withCpu([...pids], () => h2load(proto.ports[target], DURATION, { h1: proto.h1, rate }));
      if (target === 'engine') alive();
    }

    console.log(`\n## ${proto.name}: maximum throughput (\`${proto.tool}\`, closed loop)\n`);
    console.log(
      table(
        ['target', 'req/s', 'p50', 'p99', 'proxy CPU', 'errors'],
        [
          ['direct to the backend (no proxy)', rps(direct.rps), ms(direct.p50), ms(direct.p99), '—', String(direct.errors)],
          [`nginx ${nginxVersion.replace('nginx/', '')}, 1 worker`, rps(ng.rps), ms(ng.p50), ms(ng.p99), cores(ng.cpu), String(ng.errors)],
          ['nodemesh engine, 1 process', rps(en.rps), ms(en.p50), ms(en.p99), cores(en.cpu), String(en.errors)],
          ['engine / nginx', ratio(en.rps, ng.rps), ratio(en.p50, ng.p50), ratio(en.p99, ng.p99), '', ''],
        ],
      ),
    );
    const fn = fixed.nginx!;
    const fe = fixed.engine!;
    const conns = proto.h1 ? '--h1 -c50 -m1' : '-c10 -m10';
    console.log(`\n## ${proto.name}: latency at the same offered rate, half of nginx's maximum (\`h2load ${conns} --rps ${Math.round(fn.offered! / (proto.h1 ? 50 : 10))} -D ${DURATION}\`)\n`);
    console.log(
      table(
        ['target', 'offered req/s', 'achieved req/s', 'p50', 'p99', 'proxy CPU', 'errors'],
        [
          [`nginx, 1 worker`, rps(fn.offered!), rps(fn.rps), ms(fn.p50), ms(fn.p99), cores(fn.cpu), String(fn.errors)],
          ['nodemesh engine, 1 process', rps(fe.offered!), rps(fe.rps), ms(fe.p50), ms(fe.p99), cores(fe.cpu), String(fe.errors)],
          ['engine / nginx', '', ratio(fe.rps, fn.rps), ratio(fe.p50, fn.p50), ratio(fe.p99, fn.p99), '', ''],
        ],
      ),
    );
    // "Comparable p99" is read as: the engine keeps up with the rate nginx
    // does at half its maximum, without errors, with at most twice nginx's p99.
    const throughputOk = en.rps >= 0.5 * ng.rps && en.errors === 0;
    const latencyOk = fe.rps >= 0.95 * fe.offered! && fe.errors === 0 && fe.p99 <= 2 * fn.p99;
    verdicts.push(
      `- ${proto.name}: ${throughputOk && latencyOk ? '**met**' : '**not met**'} — engine ${ratio(en.rps, ng.rps)} nginx's req/s${en.errors ? ` (${en.errors} errors)` : ''}; at ${rps(fe.offered!)} req/s offered it answered ${rps(fe.rps)} req/s with p99 ${ms(fe.p99)} vs nginx's ${ms(fn.p99)} (${ratio(fe.p99, fn.p99)}).`,
    );
  }
  console.log(`\n## Goal: engine ≥ 0.5× nginx req/s at comparable p99 (read as: ≤ 2× nginx's p99 at the same offered rate, ≥ 95% of it answered, no errors)\n`);
  console.log(verdicts.join('\n'));
  console.log(`\nnginx with 2 workers vs the engine in 2 processes is not compared: the engine runs in one process (one event loop) and has no multi-process mode.`);

  // ---- TCP ----
  const tcpTargets: [string, number | undefined, number[]][] = [
    ['direct to the sink (no proxy)', sinkPort, []],
    ['nginx stream, 1 worker', streamLoad === undefined ? undefined : nt, nginxWorkers],
    ['nodemesh engine tcp_proxy, 1 process', engine.info.tcp, [engine.child.pid!]],
  ];
  const tcp: { name: string; mibs?: number; cpu?: number }[] = [];
  for (const [name, port, pids] of tcpTargets) {
    if (port === undefined) {
      tcp.push({ name: `${name}: not available (Debian package libnginx-mod-stream)` });
      continue;
    }
    await push(port, 64); // warm-up
    // Median of five: one transfer of 512 MiB over loopback takes well under
    // a second, and single runs vary by 2× on this VM.
    const runs: { mibs: number; cpu?: number }[] = [];
    for (let i = 0; i < 5; i++) runs.push(await withCpu(pids, async () => ({ mibs: await push(port, TCP_MIB) })));
    runs.sort((a, b) => a.mibs - b.mibs);
    tcp.push({ name, ...runs[2]! });
  }
  alive();
  const direct = tcp[0]!.mibs!;
  console.log(`\n## TCP throughput: one connection, ${TCP_MIB} MiB from a source process to a sink process over loopback (median of 5)\n`);
  console.log(table(['path', 'MiB/s', 'vs direct', 'proxy CPU'], tcp.map((t) => [t.name, t.mibs ? t.mibs.toFixed(0) : 'n/a', t.mibs ? ratio(t.mibs, direct) : '', cores(t.cpu)])));
  const [, tn, te] = tcp;
  if (tn?.mibs && te?.mibs) console.log(`\nengine tcp_proxy / nginx stream: ${ratio(te.mibs, tn.mibs)}`);

  // ---- where the engine's time goes ----
  if (args.profile) {
    engine.child.kill('SIGTERM');
    for (const proto of protocols) {
      const dir = join(tmp, `prof-${proto.h1 ? 'h1' : 'h2'}`);
      const e = await startEngine(['--cpu-prof', '--cpu-prof-dir', dir]);
      await proto.load(e.info.http, WARMUP);
      await proto.load(e.info.http, DURATION);
      const exited = new Promise((r) => e.child.once('exit', r));
      e.child.kill('SIGTERM');
      await exited;
      // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the event loop (tsx's loader has its own).
      const [file] = readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
      console.log(`\n## Engine CPU profile, ${proto.name} (\`node --cpu-prof\`, ${WARMUP + DURATION} s of \`${proto.tool}\`)\n`);
      // V8's profiler samples the event loop thread's wall time: a syscall counts with the time the thread
      // was preempted in it (both cores are busy), and the profile starts at process start.
      console.log('Sampled wall time of the event loop thread, start-up included; "native" includes socket syscalls.\n');
      console.log(file ? summarizeProfile(join(dir, file)) : '(no profile was written)');
    }
  }
  process.exit(0);
}

await main();
