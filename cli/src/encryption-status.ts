// `nodemesh encryption status` and `nodemesh encryption rotate`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROTATE_REQUEST_FILE } from '../../encryption/src/agent.js';
import { run } from '../../encryption/src/exec.js';
import { encryptionStatus, formatStatus } from '../../encryption/src/status.js';

export async function runEncryptionStatus(flags: { stateDir: string; json?: boolean }): Promise<void> {
  try {
    const s = await encryptionStatus(run, flags.stateDir);
    process.stdout.write(flags.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
  } catch (err) {
    console.error(`nodemesh encryption status: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}

/** Asks the running agent for a key rotation: it watches its state directory for this request file. */
export function runEncryptionRotate(flags: { stateDir: string }): void {
  writeFileSync(join(flags.stateDir, ROTATE_REQUEST_FILE), `${new Date().toISOString()}\n`);
  console.log(`rotation requested; watch it with: nodemesh encryption status --state-dir ${flags.stateDir}`);
}
