// Builds the sockmap programs: vmlinux.h from this kernel's BTF (bpftool btf
// dump … format c), then every src/*.bpf.c and test/*.bpf.c with
// `clang -O2 -g -target bpf` (CO-RE) into build/<name>.o. Build time only:
// the agent loads the objects through libbpf and never needs clang.
//
//   node bpf/sockmap/build.mjs                 build; fails when a tool is missing
//   node bpf/sockmap/build.mjs --if-available  (npm test) print why and exit 0 instead;
//                                              the kernel tests then skip, naming the reason
//
// Objects are rebuilt only when a source or header is newer than them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const optional = process.argv.includes('--if-available');
const BTF = '/sys/kernel/btf/vmlinux';

function stop(why) {
  if (optional) {
    console.log(`build:bpf: not built (${why}); the BPF tests will skip`);
    process.exit(0);
  }
  console.error(`build:bpf: ${why}`);
  process.exit(1);
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (!has('clang')) stop('clang is not installed (Debian packages clang, llvm)');
if (!has('bpftool')) stop('bpftool is not installed (Debian package bpftool)');
if (!existsSync('/usr/include/bpf/bpf_helpers.h')) stop('libbpf headers are missing (Debian package libbpf-dev)');
if (!existsSync(BTF)) stop(`${BTF} is missing: the kernel was built without CONFIG_DEBUG_INFO_BTF`);

const vmlinux = join(dir, 'vmlinux.h');
if (!existsSync(vmlinux) || statSync(vmlinux).size === 0) {
  const r = spawnSync('bpftool', ['btf', 'dump', 'file', BTF, 'format', 'c'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) stop(`bpftool btf dump failed: ${r.stderr.trim()}`);
  writeFileSync(vmlinux, r.stdout);
}

const mtime = (p) => statSync(p).mtimeMs;
const headers = readdirSync(join(dir, 'include')).map((f) => join(dir, 'include', f));
const newestInput = Math.max(mtime(vmlinux), ...headers.map(mtime));
const out = join(dir, 'build');
mkdirSync(out, { recursive: true });

let built = 0;
for (const sub of ['src', 'test']) {
  if (!existsSync(join(dir, sub))) continue;
  for (const f of readdirSync(join(dir, sub)).filter((n) => n.endsWith('.bpf.c')).sort()) {
    const src = join(dir, sub, f);
    const obj = join(out, f.replace(/\.bpf\.c$/, '.o'));
    if (existsSync(obj) && mtime(obj) >= Math.max(newestInput, mtime(src))) continue;
    const r = spawnSync(
      'clang',
      ['-O2', '-g', '-target', 'bpf', '-Wall', '-Werror', '-I', dir, '-I', join(dir, 'include'), '-c', src, '-o', obj],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) {
      console.error(`build:bpf: clang failed on ${join(sub, f)}`);
      process.exit(1);
    }
    built++;
  }
}
console.log(`build:bpf: ${built} object(s) rebuilt in ${out}`);
