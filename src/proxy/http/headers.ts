// HeaderList: the header block of one HTTP message, shared by the HTTP/1 codec, HTTP/2 glue,
// the router and the filters.
//
// Why not a plain object: HTTP allows repeated fields (set-cookie) and order matters for
// forwarding, and the HTTP/1 parser produces names and values as parallel arrays at almost no
// cost. Names are stored lower-cased (HTTP field names are case-insensitive), so every lookup is
// a plain string compare.
export class HeaderList {
  /** Lower-cased field names, parallel to `values`. */
  readonly names: string[];
  readonly values: string[];

  constructor(names: string[] = [], values: string[] = []) {
    this.names = names;
    this.values = values;
  }

  /** Builds from an object such as Node's IncomingHttpHeaders (arrays become repeated fields). */
  static fromRecord(record: Record<string, string | string[] | undefined>): HeaderList {
    const list = new HeaderList();
    for (const [name, value] of Object.entries(record)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) list.add(name, v);
      else list.add(name, value);
    }
    return list;
  }

  get size(): number {
    return this.names.length;
  }

  /** First value of `name` (lower-case), or undefined. */
  get(name: string): string | undefined {
    const i = this.names.indexOf(name);
    return i === -1 ? undefined : this.values[i];
  }

  /** All values of `name` (lower-case). */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i] === name) out.push(this.values[i]);
    return out;
  }

  has(name: string): boolean {
    return this.names.indexOf(name) !== -1;
  }

  add(name: string, value: string): void {
    this.names.push(name.toLowerCase());
    this.values.push(value);
  }

  /** Replaces every value of `name` with one. */
  set(name: string, value: string): void {
    const lower = name.toLowerCase();
    const i = this.names.indexOf(lower);
    if (i === -1) {
      this.names.push(lower);
      this.values.push(value);
      return;
    }
    this.values[i] = value;
    this.removeFrom(lower, i + 1);
  }

  remove(name: string): void {
    this.removeFrom(name.toLowerCase(), 0);
  }

  private removeFrom(lower: string, start: number): void {
    for (let i = this.names.length - 1; i >= start; i--) {
      if (this.names[i] === lower) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }

  clone(): HeaderList {
    return new HeaderList(this.names.slice(), this.values.slice());
  }

  /** As an object for Node's http2 API (repeated fields joined as arrays). */
  toRecord(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i];
      const prev = out[name];
      if (prev === undefined) out[name] = this.values[i];
      else if (Array.isArray(prev)) prev.push(this.values[i]);
      else out[name] = [prev, this.values[i]];
    }
    return out;
  }
}
