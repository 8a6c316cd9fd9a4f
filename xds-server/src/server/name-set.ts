// Sets of resource names as bitsets over one process-wide name index. A proxy
// subscribes to every cluster's endpoints by name; with thousands of proxies
// and tens of thousands of clusters, a Set<string> per stream (and the
// strings each request decodes) costs gigabytes. A bitset costs one bit per
// known name per stream, and the name strings exist once.
//
// The index only grows: names that disappear keep their slot. It is bounded
// by the number of distinct names ever subscribed, which is what a mesh's
// churn of services produces over an agent's lifetime.

const ids = new Map<string, number>();
const names: string[] = [];

function idOf(name: string): number {
  let id = ids.get(name);
  if (id === undefined) {
    id = names.length;
    names.push(name);
    ids.set(name, id);
  }
  return id;
}

export class NameSet implements Iterable<string> {
  private bits = new Uint32Array(0);
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(name: string): boolean {
    const id = ids.get(name);
    return id !== undefined && ((this.bits[id >>> 5] ?? 0) & (1 << (id & 31))) !== 0;
  }

  add(name: string): boolean {
    const id = idOf(name);
    const w = id >>> 5;
    if (w >= this.bits.length) {
      const grown = new Uint32Array(Math.max(w + 1, Math.ceil(names.length / 32), this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (id & 31);
    if (this.bits[w]! & mask) return false;
    this.bits[w]! |= mask;
    this.count++;
    return true;
  }

  delete(name: string): boolean {
    const id = ids.get(name);
    if (id === undefined) return false;
    const w = id >>> 5;
    const mask = 1 << (id & 31);
    if (!((this.bits[w] ?? 0) & mask)) return false;
    this.bits[w]! &= ~mask;
    this.count--;
    return true;
  }

  clear(): void {
    this.bits = new Uint32Array(0);
    this.count = 0;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let w = 0; w < this.bits.length; w++) {
      let word = this.bits[w]!;
      while (word) {
        const bit = 31 - Math.clz32(word & -word);
        yield names[w * 32 + bit]!;
        word &= word - 1;
      }
    }
  }
}
