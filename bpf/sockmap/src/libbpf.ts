// The part of libbpf (Debian's libbpf.so.1, package libbpf1) nodemesh uses,
// through koffi: opening and loading compiled objects, map and link syscalls
// by file descriptor, and BTF lookups. Loaded on first use, so importing this
// module never fails on a machine without libbpf; each call that fails throws
// a BpfError naming the operation and errno.
import koffi from 'koffi';

const LIBBPF = 'libbpf.so.1';

export class BpfError extends Error {
  constructor(
    readonly op: string,
    readonly errno: number,
    detail?: string,
  ) {
    super(`${op}: ${describeErrno(errno)}${detail ? `\n${detail}` : ''}`);
    this.name = 'BpfError';
  }
}

const ERRNO_NAMES: Record<number, string> = Object.fromEntries(Object.entries(koffi.os.errno).map(([k, v]) => [v, k]));
function describeErrno(errno: number): string {
  const name = ERRNO_NAMES[errno];
  // libbpf's own error codes (LIBBPF_ERRNO__*, 4000..) have its descriptions.
  if (errno >= 4000 && errno < 4100 && api) {
    const buf = Buffer.alloc(256);
    api.strerror(-errno, buf, buf.length);
    return `${buf.subarray(0, Math.max(0, buf.indexOf(0))).toString()} (libbpf ${errno})`;
  }
  // 524 is the kernel-internal ENOTSUPP that BPF_PROG_TEST_RUN returns.
  return errno === 524 ? 'ENOTSUPP (524: not supported for this program type)' : name ? `${name} (${errno})` : `errno ${errno}`;
}

/** struct bpf_test_run_opts (libbpf 1.x). */
export interface TestRunOpts {
  sz: number;
  data_in: Buffer | null;
  data_out: Buffer | null;
  data_size_in: number;
  data_size_out: number;
  ctx_in: Buffer | null;
  ctx_out: Buffer | null;
  ctx_size_in: number;
  ctx_size_out: number;
  retval: number;
  repeat: number;
  duration: number;
  flags: number;
  cpu: number;
  batch_size: number;
}

/** Opaque libbpf handles (struct bpf_object *, struct bpf_map *, …). */
export type Handle = { readonly __libbpfHandle: unique symbol };

interface Api {
  open_file(path: string, opts: null): Handle | null;
  object_load(obj: Handle): number;
  object_close(obj: Handle): void;
  next_map(obj: Handle, prev: Handle | null): Handle | null;
  map_name(map: Handle): string;
  map_set_pin_path(map: Handle, path: string): number;
  map_fd(map: Handle): number;
  next_program(obj: Handle, prev: Handle | null): Handle | null;
  program_name(prog: Handle): string;
  program_fd(prog: Handle): number;
  program_expected_attach_type(prog: Handle): number;
  map_update_elem(fd: number, key: Buffer, value: Buffer, flags: bigint): number;
  map_lookup_elem(fd: number, key: Buffer, value: Buffer): number;
  map_delete_elem(fd: number, key: Buffer): number;
  map_get_next_key(fd: number, key: Buffer | null, next: Buffer): number;
  obj_pin(fd: number, path: string): number;
  obj_get(path: string): number;
  obj_get_info_by_fd(fd: number, info: Buffer, len: number[]): number;
  link_create(progFd: number, targetFd: number, attachType: number, opts: null): number;
  link_update(linkFd: number, newProgFd: number, opts: null): number;
  prog_get_fd_by_id(id: number): number;
  map_get_fd_by_id(id: number): number;
  prog_query(targetFd: number, type: number, queryFlags: number, attachFlags: number[], progIds: Uint32Array, count: number[]): number;
  prog_test_run_opts(fd: number, opts: TestRunOpts): number;
  num_possible_cpus(): number;
  btf_parse(path: string, ext: null): Handle | null;
  btf_free(btf: Handle): void;
  btf_find_by_name_kind(btf: Handle, name: string, kind: number): number;
  btf_type_by_id(btf: Handle, id: number): Handle | null;
  btf_name_by_offset(btf: Handle, off: number): string;
  btf_resolve_size(btf: Handle, id: number): bigint;
  set_print(fn: unknown): unknown;
  vsnprintf(buf: Buffer, size: number, fmt: string, args: unknown): number;
  close(fd: number): number;
  strerror(err: number, buf: Buffer, size: number): number;
}

let api: Api | undefined;
let loadError: string | undefined;
/** Warnings libbpf printed during the current operation (verifier logs included). */
let printed: string[] = [];

function bind(): Api {
  if (api) return api;
  if (loadError) throw new Error(loadError);
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(LIBBPF);
  } catch (e) {
    loadError = `cannot load ${LIBBPF} (Debian package libbpf1): ${(e as Error).message}`;
    throw new Error(loadError);
  }
  const libc = koffi.load('libc.so.6');
  koffi.opaque('bpf_object');
  koffi.opaque('bpf_map');
  koffi.opaque('bpf_program');
  koffi.opaque('btf');
  koffi.opaque('btf_type');
  koffi.struct('bpf_test_run_opts', {
    sz: 'size_t',
    data_in: 'void *',
    data_out: 'void *',
    data_size_in: 'uint32_t',
    data_size_out: 'uint32_t',
    ctx_in: 'void *',
    ctx_out: 'void *',
    ctx_size_in: 'uint32_t',
    ctx_size_out: 'uint32_t',
    retval: 'uint32_t',
    repeat: 'int',
    duration: 'uint32_t',
    flags: 'uint32_t',
    cpu: 'uint32_t',
    batch_size: 'uint32_t',
  });
  const printFn = koffi.proto('int nm_libbpf_print_fn(int level, const char *fmt, void *args)');
  const f = (decl: string) => lib.func(decl);
  const a = {
    open_file: f('bpf_object *bpf_object__open_file(const char *path, void *opts)'),
    object_load: f('int bpf_object__load(bpf_object *obj)'),
    object_close: f('void bpf_object__close(bpf_object *obj)'),
    next_map: f('bpf_map *bpf_object__next_map(bpf_object *obj, bpf_map *prev)'),
    map_name: f('const char *bpf_map__name(bpf_map *map)'),
    map_set_pin_path: f('int bpf_map__set_pin_path(bpf_map *map, const char *path)'),
    map_fd: f('int bpf_map__fd(bpf_map *map)'),
    next_program: f('bpf_program *bpf_object__next_program(bpf_object *obj, bpf_program *prev)'),
    program_name: f('const char *bpf_program__name(bpf_program *prog)'),
    program_fd: f('int bpf_program__fd(bpf_program *prog)'),
    program_expected_attach_type: f('int bpf_program__expected_attach_type(bpf_program *prog)'),
    map_update_elem: f('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)'),
    map_lookup_elem: f('int bpf_map_lookup_elem(int fd, const void *key, _Out_ void *value)'),
    map_delete_elem: f('int bpf_map_delete_elem(int fd, const void *key)'),
    map_get_next_key: f('int bpf_map_get_next_key(int fd, const void *key, _Out_ void *next)'),
    obj_pin: f('int bpf_obj_pin(int fd, const char *path)'),
    obj_get: f('int bpf_obj_get(const char *path)'),
    obj_get_info_by_fd: f('int bpf_obj_get_info_by_fd(int fd, _Inout_ void *info, _Inout_ uint32_t *len)'),
    link_create: f('int bpf_link_create(int prog_fd, int target_fd, int attach_type, void *opts)'),
    link_update: f('int bpf_link_update(int link_fd, int new_prog_fd, void *opts)'),
    prog_get_fd_by_id: f('int bpf_prog_get_fd_by_id(uint32_t id)'),
    map_get_fd_by_id: f('int bpf_map_get_fd_by_id(uint32_t id)'),
    prog_query: f('int bpf_prog_query(int target_fd, int type, uint32_t query_flags, _Out_ uint32_t *attach_flags, _Inout_ uint32_t *prog_ids, _Inout_ uint32_t *prog_cnt)'),
    prog_test_run_opts: f('int bpf_prog_test_run_opts(int prog_fd, _Inout_ bpf_test_run_opts *opts)'),
    num_possible_cpus: f('int libbpf_num_possible_cpus()'),
    btf_parse: f('btf *btf__parse(const char *path, void *ext)'),
    btf_free: f('void btf__free(btf *btf)'),
    btf_find_by_name_kind: f('int btf__find_by_name_kind(btf *btf, const char *name, uint32_t kind)'),
    btf_type_by_id: f('btf_type *btf__type_by_id(btf *btf, uint32_t id)'),
    btf_name_by_offset: f('const char *btf__name_by_offset(btf *btf, uint32_t off)'),
    btf_resolve_size: f('int64_t btf__resolve_size(btf *btf, uint32_t id)'),
    set_print: f(`void *libbpf_set_print(${'nm_libbpf_print_fn'} *fn)`),
    vsnprintf: libc.func('int vsnprintf(_Out_ uint8_t *buf, size_t size, const char *fmt, void *args)'),
    close: libc.func('int close(int fd)'),
    strerror: f('int libbpf_strerror(int err, _Out_ uint8_t *buf, size_t size)'),
  };
  api = a as unknown as Api;
  // libbpf's own messages (including the verifier log of a rejected program)
  // are collected and attached to the error of the call that failed, instead
  // of going to stderr. The va_list is formatted by libc's vsnprintf.
  const buf = Buffer.alloc(8192);
  const cb = koffi.register((level: number, fmt: string, args: unknown) => {
    if (level > 1) return 0; // LIBBPF_DEBUG: too chatty
    const n = api!.vsnprintf(buf, buf.length, fmt, args);
    printed.push(buf.subarray(0, Math.max(0, Math.min(n, buf.length - 1))).toString('utf8').trimEnd());
    if (printed.length > 400) printed = printed.slice(-200);
    return 0;
  }, koffi.pointer(printFn));
  api.set_print(cb);
  return api;
}

export function libbpf(): Api {
  return bind();
}

/** Clears libbpf's collected messages before an operation. */
export function resetLog(): void {
  printed = [];
}

/** libbpf's messages since resetLog(), last lines first to matter. */
export function takeLog(maxLines = 40): string {
  const lines = printed.flatMap((l) => l.split('\n')).filter((l) => l.trim());
  printed = [];
  return lines.slice(-maxLines).join('\n');
}

/** Throws a BpfError for a negative libbpf return (libbpf 1.x returns -errno). */
export function check(op: string, ret: number): number {
  if (ret < 0) throw new BpfError(op, -ret, takeLog());
  return ret;
}

/** The errno of a libbpf call that returned NULL. */
export function lastErrno(): number {
  return koffi.errno();
}

export function closeFd(fd: number): void {
  if (fd >= 0) libbpf().close(fd);
}

/**
 * BPF_PROG_TEST_RUN with a context only (raw_tp, syscall and similar
 * program types). Returns the program's return value, or throws a BpfError
 * (ENOTSUPP 524 for program types the kernel cannot test-run).
 */
export function testRun(progFd: number, ctx: Buffer): number {
  const opts: TestRunOpts = {
    sz: 80,
    data_in: null,
    data_out: null,
    data_size_in: 0,
    data_size_out: 0,
    ctx_in: ctx.length ? ctx : null,
    ctx_out: null,
    ctx_size_in: ctx.length,
    ctx_size_out: 0,
    retval: 0,
    repeat: 0,
    duration: 0,
    flags: 0,
    cpu: 0,
    batch_size: 0,
  };
  check('BPF_PROG_TEST_RUN', libbpf().prog_test_run_opts(progFd, opts));
  return opts.retval;
}
