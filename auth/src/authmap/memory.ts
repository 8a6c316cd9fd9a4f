// The in-memory AuthMap: what tests and the user-space-only mode use until the
// BPF map exists. Same semantics as the BPF one will have: expired entries
// are invisible to get() even before gc() removes them.
import { authKeyString, connectionTupleString, type AuthConnectionEntry, type AuthEntry, type AuthKey, type AuthMap, type ConnectionTuple } from './types.js';

export class InMemoryAuthMap implements AuthMap {
  readonly #entries = new Map<string, AuthEntry>();
  readonly #connections = new Map<string, AuthConnectionEntry>();

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
    let n = 0;
    for (const [k, e] of this.#connections) if (e.expiresAt <= now) (this.#connections.delete(k), n++);
    return n + (await this.deleteWhere((e) => e.expiresAt <= now));
  }
  async setConnection(entry: AuthConnectionEntry): Promise<void> {
    const { renewal: _renewal, ...e } = entry;
    this.#connections.set(connectionTupleString(entry.tuple), { ...e, tuple: { ...entry.tuple } });
  }
  async getConnection(tuple: ConnectionTuple, now: number): Promise<AuthConnectionEntry | undefined> {
    const e = this.#connections.get(connectionTupleString(tuple));
    return e && e.expiresAt > now ? { ...e, tuple: { ...e.tuple } } : undefined;
  }
  async deleteConnection(tuple: ConnectionTuple): Promise<boolean> {
    return this.#connections.delete(connectionTupleString(tuple));
  }
  async listConnections(): Promise<AuthConnectionEntry[]> {
    return [...this.#connections.values()].map((e) => ({ ...e, tuple: { ...e.tuple } }));
  }
  get size(): number {
    return this.#entries.size;
  }
}
