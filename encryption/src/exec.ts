// The one way encryption/ runs ip, wg, nft and wireguard-go: execFile with an
// argument array (never a shell), optional stdin. Errors carry the command
// and stderr but never stdin, which is where secrets would travel (an
// `ip -batch -` IPsec configuration); nothing here logs stdout either, since
// `wg show dump` prints the private key on its first line.
import { execFile } from 'node:child_process';

export interface RunOptions {
  /** Written to the command's stdin; never included in errors. */
  input?: string;
  timeoutMs?: number;
}

export type Run = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<string>;

export class CommandError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    super(`${cmd} ${args.join(' ')}: ${stderr.trim() || `exit ${code}`}`);
    this.name = 'CommandError';
  }
}

export const run: Run = (cmd, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const child = execFile(cmd, [...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 15_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
        reject(new CommandError(cmd, args, code, stderr || err.message));
      } else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
