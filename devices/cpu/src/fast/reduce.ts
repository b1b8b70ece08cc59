import { sizeOf, type Attrs } from "@polychip/hal";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import { reductionAxes } from "../kernels/axes.ts";
import { REDUCE, REDUCERS } from "../wasm/kernels/reduce.ts";
import { targetChunks } from "./grid.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { address, contiguous, fastKernel } from "./support.ts";
import type { CpuView } from "../views.ts";

/** Reduced dims (after merging neighbours that form one run) the WASM kernel walks. */
const MAX_REDUCED_DIMS = 4;

/** A reduction's geometry for one set of layouts: output count, chunking, each output's byte offset, and the record holding the merged reduced dims (strides in bytes). */
interface ReduceLaunch {
  readonly outputs: number;
  readonly perChunk: number;
  readonly byteOffsets: Int32Array;
  /** The geometry record with every field but the addresses (x, y, table) filled, written whole on each launch. */
  readonly record: Int32Array;
}

const X = REDUCE.slot("x");
const Y = REDUCE.slot("y");
const TABLE = REDUCE.slot("table");

/** Launches by call and layouts; false: the WASM kernel declines (too many reduced runs, or an empty input). */
const launches = new LayoutMemo<ReduceLaunch | false>();

function prepareReduce(op: string, x: CpuView, y: CpuView, attrs: Attrs, threads: number): ReduceLaunch | false {
  if (!contiguous(y)) return false;
  const shape = x.shape;
  const axes = reductionAxes(op, shape.length, attrs);
  const outputs = sizeOf(y.shape);
  if (outputs === 0) return { outputs, perChunk: 1, byteOffsets: new Int32Array(0), record: new Int32Array(0) };
  if (sizeOf(shape) === 0) return false; // empty sums: the reference writes the identity
  // Reduced dims in input order, merged where contiguous; sizes of 1 dropped.
  const dims: [number, number][] = [];
  for (const a of axes) {
    if (shape[a] === 1) continue;
    const stride = x.strides[a]!;
    const last = dims[dims.length - 1];
    if (last && last[1] === stride * shape[a]!) {
      last[0] *= shape[a]!;
      last[1] = stride;
    } else {
      dims.push([shape[a]!, stride]);
    }
  }
  if (dims.length > MAX_REDUCED_DIMS) return false;
  while (dims.length < MAX_REDUCED_DIMS) dims.unshift([1, 0]);
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const byteOffsets = new Int32Array(outputs);
  const counter = new Array<number>(kept.length).fill(0);
  let base = 0;
  for (let o = 0; o < outputs; o++) {
    byteOffsets[o] = base * 4;
    for (let k = kept.length - 1; k >= 0; k--) {
      const d = kept[k]!;
      base += x.strides[d]!;
      if (++counter[k]! < shape[d]!) break;
      base -= x.strides[d]! * shape[d]!;
      counter[k] = 0;
    }
  }
  const chunks = targetChunks(threads, sizeOf(shape), 1 << 15);
  const perChunk = Math.ceil(outputs / chunks);
  const [[n0, s0], [n1, s1], [n2, s2], [n3, s3]] = dims.map(([n, s]) => [n, s * 4] as const) as [
    readonly [number, number],
    readonly [number, number],
    readonly [number, number],
    readonly [number, number],
  ];
  const record = REDUCE.record({ x: 0, y: 0, table: 0, outputs, perChunk, n0, n1, n2, n3, s0, s1, s2, s3 });
  return { outputs, perChunk, byteOffsets, record };
}

/**
 * reduceSum, reduceMax, reduceMin over float32 in WASM: any input strides, any axes whose reduced
 * region merges into at most four runs. The kept dims become a table of per-output offsets,
 * worked out once per call while its layouts stay the same.
 */
export function fastReduce(ref: (op: string) => CpuKernel): CpuRegistration[] {
  return Object.keys(REDUCERS).map((op) =>
    fastKernel(op, ref(op), (call, path) => {
      const x = call.inputs[0]!;
      const y = call.outputs[0]!;
      const px = address(x);
      const py = address(y);
      if (px === undefined || py === undefined) return false;
      let launch = launches.get(call, call.inputs, call.outputs);
      if (launch === undefined) launch = launches.set(call, prepareReduce(op, x, y, call.attrs, path.threads), call.inputs, call.outputs);
      if (launch === false) return false;
      const { outputs, perChunk, byteOffsets, record } = launch;
      if (outputs === 0) return true;
      const rt = path.runtime;
      // One region: the offsets table, then the geometry record.
      const table = rt.tableFor(outputs * 4 + REDUCE.bytes);
      const geo = table + outputs * 4;
      const i32 = rt.i32;
      i32.set(byteOffsets, table / 4);
      record[X] = px;
      record[Y] = py;
      record[TABLE] = table;
      i32.set(record, geo / 4);
      rt.run(path.pool, op, [geo], Math.ceil(outputs / perChunk), 0);
      return true;
    }),
  );
}
