import { sizeOf } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS } from "../wasm/kernels/elementwise.ts";
import { fastKernelWithHalf } from "./half.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { planRows, type RowPlan } from "./rows.ts";
import { address, chunking, contiguous, fastKernel } from "./support.ts";
import { moveView, rowsThroughCopies, withCopies, type MoveGeometry } from "./strided-move.ts";

/**
 * A binary call's row walk with its offsets in bytes, by call and layouts (false: not for the WASM
 * loop). `moves[k]` marks an input strided along the rows (a transposed view): it is read through
 * a contiguous copy in the arena, which the plan walks instead.
 */
interface RowLaunch {
  readonly plan: RowPlan;
  readonly byteOffsets: Int32Array;
  readonly moves: readonly (MoveGeometry | undefined)[] | undefined;
}
const rowLaunches = new LayoutMemo<RowLaunch | false>();

function prepareRows(a: CpuView, b: CpuView, y: CpuView): RowLaunch | false {
  if (a.dtype !== "float32" || b.dtype !== "float32" || !contiguous(y)) return false;
  const direct = planRows(y.shape, [a, b]);
  const copied = direct ? undefined : rowsThroughCopies(y.shape, [a, b]);
  const plan = direct ?? copied?.plan;
  return plan ? { plan, byteOffsets: plan.offsets.map((o) => o * 4), moves: copied?.moves } : false;
}

/** a op b for float32 a, b (any broadcast, any strides) into a contiguous output; the row walk is kept per call while its layouts stay the same. */
function rowsKernel(name: string, call: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const y = call.outputs[0]!;
  let launch = rowLaunches.get(call, call.inputs, call.outputs);
  if (launch === undefined) launch = rowLaunches.set(call, prepareRows(call.inputs[0]!, call.inputs[1]!, y), call.inputs, call.outputs);
  if (launch === false) return false;
  const py = address(y);
  if (py === undefined) return false;
  const { plan } = launch;
  if (plan.total === 0) return true;
  if (launch.moves) return withCopies(path, call.inputs, launch.moves, ([pa, pb]) => runRows(name, launch, pa!, pb!, py, path)) === true;
  const pa = address(call.inputs[0]!);
  const pb = address(call.inputs[1]!);
  if (pa === undefined || pb === undefined) return false;
  return runRows(name, launch, pa, pb, py, path);
}

/** Runs a binary row walk on operands at `pa`, `pb` into `py`. */
function runRows(name: string, { plan, byteOffsets }: RowLaunch, pa: number, pb: number, py: number, path: FastPath): boolean {
  const rt = path.runtime;
  const table = rt.tableFor(plan.rows * 8);
  rt.i32.set(byteOffsets, table / 4);
  const perChunk = chunking(path, plan.total, plan.rows);
  rt.run(
    path.pool,
    name,
    [pa, pb, py, plan.total, plan.rowLen, plan.rows, plan.inner[0]!, plan.inner[1]!, table, perChunk],
    Math.ceil(plan.rows / perChunk),
    0,
  );
  return true;
}

/**
 * A map of n elements through export `name` into a contiguous output. A strided input (a sliced
 * or transposed view) is first moved into the output, and the map then runs there in place.
 */
function mapKernel(name: string, x: CpuView, y: CpuView, path: FastPath): boolean {
  if (!contiguous(y)) return false;
  const py = address(y);
  if (py === undefined) return false;
  let px = address(x);
  if (px === undefined) return false;
  if (!contiguous(x)) {
    if (x.dtype !== y.dtype || !moveView(path, x, y)) return false;
    px = py;
  }
  const n = sizeOf(y.shape);
  if (n === 0) return true;
  const blocks = Math.ceil(n / 4096);
  const perChunk = chunking(path, n, blocks) * 4096;
  path.runtime.run(path.pool, name, [px, py, n, perChunk], Math.ceil(n / perChunk), 0);
  return true;
}

/** Casts with a WASM loop, keyed "from->to"; every other pair stays on the reference. */
const CASTS: Record<string, string> = {
  "bool->float32": "cast_bool_float32",
  "float32->bool": "cast_float32_bool",
  "int32->float32": "cast_int32_float32",
};

/**
 * The float32 elementwise family in WASM: add, sub, mul, div, maximum, minimum and the
 * comparisons with any broadcast (an operand strided along the rows read through an arena copy);
 * neg, abs, sqrt, reciprocal, floor, ceil, round, relu on any view (a strided one moved into the
 * output first); three casts on contiguous tensors. exp, sigmoid and tanh run as one-step fused
 * programs (transcendental.ts); the other transcendental ops stay on the reference, whose float64
 * Math gives the exactly rounded values.
 * float16 runs the same kernels through float32 copies (half.ts): every one of these ops is a
 * single correctly rounded IEEE operation, so its float32 result is the reference's float32
 * value and rounding it to float16 gives the reference's bits.
 */
export function fastElementwise(ref: (op: string) => CpuKernel): CpuRegistration[] {
  return [
    ...Object.keys(BINARY_OPS).flatMap((op) => {
      const name = `binary_${op}`;
      return fastKernelWithHalf(op, ref(op), (call, path) => rowsKernel(name, call, path));
    }),
    ...Object.keys(COMPARE_OPS).flatMap((op) => {
      const name = `compare_${op}`;
      return fastKernelWithHalf(op, ref(op), (call, path) => rowsKernel(name, call, path));
    }),
    ...Object.keys(UNARY_OPS).flatMap((op) => {
      const name = `unary_${op}`;
      return fastKernelWithHalf(op, ref(op), ({ inputs: [x], outputs: [y] }, path) => y!.dtype === "float32" && mapKernel(name, x!, y!, path));
    }),
    fastKernel(
      "cast",
      ref("cast"),
      ({ inputs: [x], outputs: [y] }, path) => {
        const name = CASTS[`${x!.dtype}->${y!.dtype}`];
        return name !== undefined && mapKernel(name, x!, y!, path);
      },
      ["bool", "float32", "int32"],
    ),
  ];
}
