import type { DType } from "@polychip/hal";
import type { RawView } from "../core/view.ts";

/** What a node saw last run: its inputs' layouts and host values, to reuse what was planned from them. */
interface Seen<T> {
  readonly layouts: readonly (Layout | undefined)[];
  readonly values: readonly (readonly number[] | undefined)[];
  readonly result: T;
}

interface Layout {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

const sameList = (a: readonly number[] | undefined, b: readonly number[] | undefined) => {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

const sameLayout = (a: Layout | undefined, b: RawView | undefined, strides: boolean) =>
  a === b || (a !== undefined && b !== undefined && a.dtype === b.dtype && sameList(a.shape, b.shape) && (!strides || sameList(a.strides, b.strides)));

/**
 * Per node, the last result planned from its inputs' dtypes and shapes (with `strides`, their
 * strides too; never their offsets) and host values: a session that runs the same shapes again —
 * the usual case — reuses its shape inference and view plans instead of redoing them every run.
 * Anything different is planned afresh.
 */
export class NodeMemo<T> {
  private readonly seen: (Seen<T> | undefined)[] = [];

  constructor(private readonly strides: boolean) {}

  get(node: number, inputs: readonly (RawView | undefined)[], values: readonly (readonly number[] | undefined)[] = []): T | undefined {
    const s = this.seen[node];
    if (!s || s.layouts.length !== inputs.length || s.values.length !== values.length) return undefined;
    for (let i = 0; i < inputs.length; i++) if (!sameLayout(s.layouts[i], inputs[i], this.strides)) return undefined;
    for (let i = 0; i < values.length; i++) if (!sameList(s.values[i], values[i])) return undefined;
    return s.result;
  }

  set(node: number, inputs: readonly (RawView | undefined)[], values: readonly (readonly number[] | undefined)[], result: T): void {
    const layouts = inputs.map((v) => v && { dtype: v.dtype, shape: [...v.shape], strides: [...v.strides] });
    this.seen[node] = { layouts, values: values.map((v) => v && [...v]), result };
  }
}
