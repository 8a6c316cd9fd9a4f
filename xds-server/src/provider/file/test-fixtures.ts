// YAML snippets and temp directories for the file provider tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function service(name: string, port = 80, namespace = 'default'): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  ports:
    - name: http
      port: ${port}
`;
}

export function docs(...parts: string[]): string {
  return parts.join('---\n');
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'nodemesh-file-provider-'));

  write(rel: string, content: string): string {
    const p = join(this.path, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    return p;
  }

  remove(rel: string): void {
    rmSync(join(this.path, rel), { force: true, recursive: true });
  }

  file(rel: string): string {
    return join(this.path, rel);
  }

  dispose(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
