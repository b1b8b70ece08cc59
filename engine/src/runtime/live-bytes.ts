import type { Storage } from "../core/storage.ts";
import type { RawView } from "../core/view.ts";

/**
 * The bytes a running session holds at once: its fixed storages (initializers, constants) plus
 * each distinct storage its live values use, kept up to date as values come and go. Views that
 * share a storage (a reshape of an input) count it once, as a set of storages would, without
 * walking every held value before each op.
 */
export class LiveBytes {
  private readonly fixed: ReadonlySet<Storage>;
  private readonly fixedBytes: number;
  private readonly users = new Map<Storage, number>();
  private extraBytes = 0;

  /** `otherBytes`: memory held beside the fixed storages (a session's plans' kept buffers). */
  constructor(fixed: Iterable<RawView>, otherBytes = 0) {
    this.fixed = new Set([...fixed].map((v) => v.storage));
    let bytes = otherBytes;
    for (const s of this.fixed) bytes += s.bytes;
    this.fixedBytes = bytes;
  }

  get bytes(): number {
    return this.fixedBytes + this.extraBytes;
  }

  add(view: RawView): void {
    const s = view.storage;
    if (this.fixed.has(s)) return;
    const n = this.users.get(s) ?? 0;
    if (n === 0) this.extraBytes += s.bytes;
    this.users.set(s, n + 1);
  }

  remove(view: RawView): void {
    const s = view.storage;
    const n = this.users.get(s);
    if (n === undefined) return;
    if (n > 1) this.users.set(s, n - 1);
    else {
      this.users.delete(s);
      this.extraBytes -= s.bytes;
    }
  }
}
