import assert from "node:assert/strict";
import { test } from "node:test";
import { sizeOf, type DType } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { fastIntegerMatmul } from "./integer-matmul.ts";

const RANGE: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255] };

/** Deterministic integers in the dtype's range. */
function values(n: number, dtype: string, seed: number): number[] {
  const [lo, hi] = RANGE[dtype]!;
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  });
}

interface Problem {
  readonly batch: number[];
  readonly a: HostInput & { dtype: DType };
  readonly b: HostInput & { dtype: DType };
  readonly za?: HostInput & { dtype: DType };
  readonly zb?: HostInput & { dtype: DType };
}

/** Plain JS int32 oracle: Σ (a − za)(b − zb) with 32-bit wrapping, a and b contiguous. */
function oracle({ batch, a, b, za, zb }: Problem): Int32Array {
  const r = a.shape.length;
  const [M, K, N] = [a.shape[r - 2]!, a.shape[r - 1]!, b.shape[r - 1]!];
  const zA = (i: number) => (za ? (za.values.length > 1 ? za.values[i]! : za.values[0]!) : 0);
  const zB = (j: number) => (zb ? (zb.values.length > 1 ? zb.values[j]! : zb.values[0]!) : 0);
  const out = new Int32Array(sizeOf(batch) * M * N);
  for (let t = 0; t < sizeOf(batch); t++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s = (s + Math.imul(a.values[t * M * K + i * K + k]! - zA(i), b.values[t * K * N + k * N + j]! - zB(j))) | 0;
        out[t * M * N + i * N + j] = s;
      }
  return out;
}

function problem(batch: number[], M: number, K: number, N: number, da: DType, db: DType, zero: "none" | "tensor" | "axis", seed: number): Problem {
  const p: Problem = {
    batch,
    a: { values: values(sizeOf(batch) * M * K, da, seed), shape: [...batch, M, K], dtype: da },
    b: { values: values(sizeOf(batch) * K * N, db, seed + 1), shape: [...batch, K, N], dtype: db },
  };
  if (zero === "none") return p;
  const zShape = (n: number) => (zero === "tensor" ? [] : [n]);
  return {
    ...p,
    za: { values: values(zero === "tensor" ? 1 : M, da, seed + 2), shape: zShape(M), dtype: da },
    zb: { values: values(zero === "tensor" ? 1 : N, db, seed + 3), shape: zShape(N), dtype: db },
  };
}

const inputsOf = (p: Problem): HostInput[] => [
  p.a,
  p.b,
  ...(p.za || p.zb ? [p.za ?? { values: [0], shape: [], dtype: p.a.dtype }] : []),
  ...(p.zb ? [p.zb] : []),
];

/** The WASM kernel alone: a reference that throws proves it did not decline. */
function runWasm(p: Problem, threads: number, inputs = inputsOf(p)): Int32Array {
  const kernel = fastIntegerMatmul(() => {
    throw new Error("the WASM kernel declined");
  }).kernel;
  return runOp("integerMatmul", inputs, {}, { device: new CpuDevice({ threads }), kernel })[0]!.values as Int32Array;
}

for (const [da, db] of [
  ["uint8", "uint8"],
  ["uint8", "int8"],
  ["int8", "uint8"],
  ["int8", "int8"],
] as const) {
  test(`integerMatmul WASM kernel equals the int32 oracle: ${da} x ${db}, every zero-point form`, () => {
    for (const zero of ["none", "tensor", "axis"] as const) {
      for (const [M, K, N] of [
        [7, 37, 21],
        [1, 1, 8],
        [13, 64, 9],
        [4, 2, 16],
      ]) {
        const p = problem([], M!, K!, N!, da, db, zero, M! * 100 + K!);
        assert.deepEqual(runWasm(p, 1), oracle(p), `${zero} ${M}x${K}x${N}`);
      }
    }
  });
}

test("integerMatmul is exact at K = 1152 with worst-case values, where float32 sums are not", () => {
  const [M, K, N] = [5, 1152, 24];
  const p: Problem = {
    batch: [],
    a: { values: new Array(M * K).fill(0), shape: [M, K], dtype: "uint8" },
    b: { values: new Array(K * N).fill(255), shape: [K, N], dtype: "uint8" },
    za: { values: [255], shape: [], dtype: "uint8" },
    zb: { values: [0], shape: [], dtype: "uint8" },
  };
  const want = oracle(p);
  assert.equal(want[0], -255 * 255 * K);
  // Summed in float32 (what a float GEMM does) the same products round away from the answer.
  let f = 0;
  for (let k = 0; k < K; k++) f = Math.fround(f + -65025);
  assert.notEqual(f, want[0]);
  assert.deepEqual(runWasm(p, 1), want);
  assert.deepEqual(runWasm(p, 2), want);
  const reference = runOp("integerMatmul", inputsOf(p), {}, { device: new CpuDevice({ wasm: false }) })[0]!;
  assert.deepEqual(Array.from(reference.values), Array.from(want));
});

test("integerMatmul WASM kernel split across two threads (batches, row and column blocks) equals the oracle", () => {
  for (const p of [problem([2, 3], 9, 300, 200, "uint8", "int8", "axis", 7), problem([], 45, 301, 203, "int8", "int8", "tensor", 8)]) {
    const want = oracle(p);
    assert.deepEqual(runWasm(p, 2), want);
    assert.deepEqual(runWasm(p, 1), want);
  }
});

test("integerMatmul WASM kernel reads a transposed A and a broadcast B in place", () => {
  const [M, K, N] = [6, 11, 16];
  const p = problem([2], M, K, N, "int8", "uint8", "tensor", 11);
  // A stored [2, K, M] and read transposed; B one [K, N] matrix broadcast over the batch (stride 0).
  const at = new Array<number>(2 * M * K);
  for (let t = 0; t < 2; t++) for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) at[t * M * K + k * M + i] = p.a.values[t * M * K + i * K + k]!;
  const shared = Array.from(p.b.values).slice(0, K * N);
  const want = oracle({ ...p, b: { ...p.b, values: [...shared, ...shared] } });
  const got = runWasm(p, 2, [
    { values: at, shape: [2, M, K], strides: [M * K, 1, M], dtype: "int8" },
    { values: shared, shape: [2, K, N], strides: [0, N, 1], dtype: "uint8" },
    p.za!,
    p.zb!,
  ]);
  assert.deepEqual(got, want);
});

test("integerMatmul on the reference kernels (wasm off) equals the oracle", () => {
  const p = problem([2], 5, 70, 12, "uint8", "uint8", "axis", 3);
  const [y] = runOp("integerMatmul", inputsOf(p), {}, { device: new CpuDevice({ wasm: false }) });
  assert.equal(y!.dtype, "int32");
  assert.deepEqual(Array.from(y!.values), Array.from(oracle(p)));
});

test("integerMatmul WASM kernel: panels of more than two tiles (B paired up in scratch) and of fewer agree with the oracle", () => {
  // 9..12 rows take the scratch path, 5..8 pair B up per tile; odd K pairs B's last row with itself.
  for (const M of [5, 8, 9, 12, 33]) {
    for (const [da, db] of [
      ["uint8", "uint8"],
      ["int8", "int8"],
    ] as const) {
      const p = problem([], M, 97, 27, da, db, "axis", M * 7);
      const want = oracle(p);
      assert.deepEqual(runWasm(p, 1), want, `${M} rows ${da} x ${db}, 1 thread`);
      assert.deepEqual(runWasm(p, 2), want, `${M} rows ${da} x ${db}, 2 threads`);
    }
  }
});
