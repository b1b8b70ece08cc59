import type { Attrs } from "@polychip/hal";
import type { TensorProto } from "../proto/types.ts";
import { tensorFromProto, type HostTensor } from "../tensor.ts";

/** A TensorProto as the importer holds it: its values, and whether int64 values were saturated into int32. */
export interface DecodedTensor {
  readonly value: HostTensor;
  readonly saturated: boolean;
}

/** Tensors of at most this many values (shape arithmetic) are named by their contents in a fold's key. */
const SMALL = 64;

/** One fold's results, with how many kept plans were imported using them. */
interface Fold {
  readonly values: readonly HostTensor[];
  users: number;
  /** The acquire count when an import last used it: a fold no plan holds survives two acquires unused. */
  seen: number;
}

/**
 * What the imports of one model share (OnnxSession imports once per input-shape signature): each
 * initializer and Constant tensor is decoded once, and a fold whose inputs are all such tensors
 * (or earlier shared folds: an int8 weight cast to float and centred on its zero point) is
 * computed once. Every import then holds the same typed arrays, which the runtime's SharedWeights
 * uploads once per device.
 *
 * A fold may still depend on the input shapes through its attributes (a Slice of a position table
 * up to the sequence length), so folds live only as long as a kept plan was imported with them:
 * `track` collects the folds one import used, `acquire` counts them for its plan, `release` when
 * that plan is dropped. Decoded tensors live as long as the model.
 */
export class SharedConstants {
  private decoded = new WeakMap<TensorProto, DecodedTensor>();
  private parts = new WeakMap<object, Map<string, unknown>>();
  /** Ids of the shared tensors (decoded or folded from shared ones): a fold's key names its inputs by them. */
  private ids = new WeakMap<HostTensor, number>();
  private readonly folds = new Map<string, Fold>();
  private nextId = 0;
  private acquired = 0;
  private touched: Set<string> | undefined;

  /** What `compute` derives from part of the model alone (its node order, its value uses): computed once per part and kind. */
  derived<T>(part: object, kind: string, compute: () => T): T {
    let byKind = this.parts.get(part);
    if (!byKind) this.parts.set(part, (byKind = new Map()));
    if (!byKind.has(kind)) byKind.set(kind, compute());
    return byKind.get(kind) as T;
  }

  /** The tensor `t` holds, decoded on first use (integers saturate into int32, as initializers do). */
  tensor(t: TensorProto, what: string): DecodedTensor {
    const known = this.decoded.get(t);
    if (known) return known;
    let saturated = false;
    const value = tensorFromProto(t, what, { clampInt: true, onClamp: () => (saturated = true) });
    const decoded = { value, saturated };
    this.decoded.set(t, decoded);
    this.share(value);
    return decoded;
  }

  /**
   * The outputs of `op` on constant `inputs`: computed once when every input is shared or small
   * (a value of shape arithmetic, named by its contents), by `compute` each time otherwise. The
   * outputs of a fold reading a shared tensor are shared too; a fold of small values alone is kept
   * only when its outputs are small.
   */
  fold(op: string, inputs: readonly (HostTensor | undefined)[], attrs: Attrs, outputs: number, compute: () => HostTensor[]): readonly HostTensor[] {
    const key = this.foldKey(op, inputs, attrs, outputs);
    if (key === undefined) return compute();
    if (!inputs.some((t) => t && this.ids.has(t))) {
      const known = this.folds.get(key);
      if (known) {
        known.seen = this.acquired;
        this.touched?.add(key);
        return known.values;
      }
      const values = compute();
      if (values.some((v) => v.data.length > SMALL)) return values;
      this.touched?.add(key);
      this.folds.set(key, { values, users: 0, seen: this.acquired });
      return values;
    }
    this.touched?.add(key);
    const known = this.folds.get(key);
    if (known) {
      known.seen = this.acquired;
      return known.values;
    }
    const values = compute();
    for (const v of values) this.share(v);
    this.folds.set(key, { values, users: 0, seen: this.acquired });
    return values;
  }

  /** Whether `t` is one of the tensors every import of the model may share. */
  isShared(t: HostTensor): boolean {
    return this.ids.has(t);
  }

  /** Runs one import, returning what it returns and the folds it used (for acquire). */
  track<T>(importing: () => T): { readonly result: T; readonly folds: ReadonlySet<string> } {
    const outer = this.touched;
    const folds = new Set<string>();
    this.touched = folds;
    try {
      return { result: importing(), folds };
    } finally {
      this.touched = outer;
    }
  }

  /**
   * Counts a kept plan as a user of `folds`. Folds no plan uses (from an import that stopped for a
   * run-time value, to be retried once it is computed) go when two more plans were kept without them.
   */
  acquire(folds: ReadonlySet<string>): void {
    this.acquired++;
    for (const key of folds) {
      const fold = this.folds.get(key);
      if (fold) fold.users++;
    }
    for (const [key, fold] of this.folds) if (fold.users === 0 && fold.seen < this.acquired - 2) this.folds.delete(key);
  }

  /** A plan that used `folds` was dropped: folds no kept plan uses go. */
  release(folds: ReadonlySet<string>): void {
    for (const key of folds) {
      const fold = this.folds.get(key);
      if (fold && --fold.users <= 0) this.folds.delete(key);
    }
  }

  /** Lets go of everything kept (the session was disposed: a disposed session still referenced holds no weights). */
  clear(): void {
    this.decoded = new WeakMap();
    this.parts = new WeakMap();
    this.ids = new WeakMap();
    this.folds.clear();
  }

  /** How many folds are kept now. */
  get foldCount(): number {
    return this.folds.size;
  }

  private share(t: HostTensor): void {
    if (!this.ids.has(t)) this.ids.set(t, this.nextId++);
  }

  /** The fold's key when at least one input is given and every given input is shared or small; undefined otherwise. */
  private foldKey(op: string, inputs: readonly (HostTensor | undefined)[], attrs: Attrs, outputs: number): string | undefined {
    let names = "";
    let given = 0;
    for (const t of inputs) {
      const name = t === undefined ? "-" : this.nameOf(t);
      if (name === undefined) return undefined;
      if (t !== undefined) given++;
      names += `${name},`;
    }
    return given === 0 ? undefined : `${op}|${outputs}|${names}|${JSON.stringify(attrs)}`;
  }

  /** A shared tensor by its id, a small one by its dtype, shape and bits (so -0 and NaN payloads stay apart). */
  private nameOf(t: HostTensor): string | undefined {
    const id = this.ids.get(t);
    if (id !== undefined) return `#${id}`;
    if (t.data.length > SMALL) return undefined;
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    return `${t.dtype}[${t.shape.join(" ")}]${bytes.join(" ")}`;
  }
}
