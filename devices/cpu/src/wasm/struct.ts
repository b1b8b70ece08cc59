import type { Code, FunctionBuilder } from "./encoder.ts";
import { get, i32, set } from "./instructions.ts";

/**
 * A record of i32 fields that the caller writes into the WASM memory and a kernel loads into
 * locals once: the way kernels with many sizes (conv geometry) take their parameters, so job
 * signatures stay short and both sides agree on one field list.
 */
export class Struct<F extends string> {
  constructor(readonly fields: readonly F[]) {}

  get bytes(): number {
    return this.fields.length * 4;
  }

  write(i32View: Int32Array, byteOffset: number, values: Readonly<Record<F, number>>): void {
    const base = byteOffset / 4;
    const fields = this.fields;
    // A plain loop: kernels write a record on every call, and a callback per call showed in profiles.
    for (let i = 0; i < fields.length; i++) {
      const v = values[fields[i]!];
      if (!Number.isInteger(v)) throw new Error(`struct field ${fields[i]} must be an integer, got ${v}`);
      i32View[base + i] = v;
    }
  }

  /**
   * The record as an Int32Array to copy into the memory with one `set`, for a caller that writes
   * the same record with a few fields changed (`slot` gives their positions).
   */
  record(values: Readonly<Record<F, number>>): Int32Array {
    const out = new Int32Array(this.fields.length);
    this.write(out, 0, values);
    return out;
  }

  /** Where `field` sits in a record, in 32-bit words. */
  slot(field: F): number {
    return this.fields.indexOf(field);
  }

  /** Locals holding every field, and the code that loads them from the record at `pointer`. */
  load(fn: FunctionBuilder, pointer: number): { fields: Readonly<Record<F, number>>; code: Code } {
    const fields = {} as Record<F, number>;
    const code: Code[] = [];
    this.fields.forEach((f, i) => {
      fields[f] = fn.local("i32");
      code.push(set(fields[f], i32.load(get(pointer), i * 4)));
    });
    return { fields, code };
  }
}
