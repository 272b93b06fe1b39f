/**
 * Values read from the store, kept until `invalidate` (called once a change is committed). A read
 * that was under way when the data changed is not kept, since it may have seen the old data.
 * Bounded: past `limit` keys it starts again empty, so unknown keys sent by clients cannot grow it.
 */
export class ReadCache<V> {
  private readonly values = new Map<string, V>();
  private generation = 0;

  constructor(private readonly limit = 1_000) {}

  async get(key: string, read: () => Promise<V>): Promise<V> {
    if (this.values.has(key)) return this.values.get(key) as V;
    const generation = this.generation;
    const value = await read();
    if (generation === this.generation) {
      if (this.values.size >= this.limit) this.values.clear();
      this.values.set(key, value);
    }
    return value;
  }

  invalidate(): void {
    this.generation += 1;
    this.values.clear();
  }
}
