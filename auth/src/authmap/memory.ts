// The in-memory AuthMap: what tests and the user-space-only mode use until the
// BPF map exists. Same semantics as the BPF one will have: expired entries
// are invisible to get() even before gc() removes them.
import { authKeyString, type AuthEntry, type AuthKey, type AuthMap } from './types.js';

export class InMemoryAuthMap implements AuthMap {
  readonly #entries = new Map<string, AuthEntry>();

  async get(key: AuthKey, now: number): Promise<AuthEntry | undefined> {
    const e = this.#entries.get(authKeyString(key));
    return e && e.expiresAt > now ? e : undefined;
  }
  async set(entry: AuthEntry): Promise<void> {
    this.#entries.set(authKeyString(entry), { ...entry });
  }
  async delete(key: AuthKey): Promise<boolean> {
    return this.#entries.delete(authKeyString(key));
  }
  async deleteWhere(pred: (e: AuthEntry) => boolean): Promise<number> {
    let n = 0;
    for (const [k, e] of this.#entries) if (pred(e)) (this.#entries.delete(k), n++);
    return n;
  }
  async list(): Promise<AuthEntry[]> {
    return [...this.#entries.values()].map((e) => ({ ...e }));
  }
  async gc(now: number): Promise<number> {
    return this.deleteWhere((e) => e.expiresAt <= now);
  }
  get size(): number {
    return this.#entries.size;
  }
}
