// Earliest-deadline-first scheduling, as Envoy's EdfScheduler: each entry's
// next deadline is the current time plus 1/weight, so picks interleave
// smoothly in proportion to weight. Ties go to the earlier insertion.
interface Entry<T> {
  deadline: number;
  order: number;
  item: T;
}

export class EdfScheduler<T> {
  private heap: Entry<T>[] = [];
  private now = 0;
  private order = 0;

  constructor(private readonly weightOf: (item: T) => number) {}

  add(item: T): void {
    const w = this.weightOf(item);
    this.push({ deadline: this.now + 1 / (w > 0 ? w : Number.MIN_VALUE), order: this.order++, item });
  }

  /** The item with the earliest deadline, re-added with its weight as of now. */
  pickAndAdd(): T | undefined {
    const top = this.pop();
    if (!top) return undefined;
    this.now = top.deadline;
    this.add(top.item);
    return top.item;
  }

  get size(): number {
    return this.heap.length;
  }

  private less(a: Entry<T>, b: Entry<T>): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.order < b.order);
  }

  private push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Entry<T> | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
