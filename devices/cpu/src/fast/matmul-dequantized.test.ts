import assert from "node:assert/strict";
import { test } from "node:test";
import { sizeOf, type DType } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { fastMatmulDequantized } from "./matmul-dequantized.ts";

const RANGE: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255] };

/** Deterministic values: integers in the dtype's range, or floats in [-1, 1) for float32. */
function values(n: number, dtype: string, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  if (dtype === "float32") return Array.from({ length: n }, () => Math.fround(next() / 2 ** 31 - 1));
  const [lo, hi] = RANGE[dtype]!;
  return Array.from({ length: n }, () => lo + (next() % (hi - lo + 1)));
}

interface Problem {
  readonly a: HostInput & { dtype: DType };
  readonly w: HostInput & { dtype: DType };
  readonly scale: HostInput & { dtype: DType };
  readonly zp?: HostInput & { dtype: DType };
}

function problem(lead: number[], K: number, N: number, dw: DType, form: "tensor" | "column" | "no zero point", seed: number): Problem {
  const per = (n: number) => (form === "column" ? n : 1);
  const scale = values(per(N), "float32", seed + 2).map((v) => Math.fround(0.001 + Math.abs(v) * 0.05));
  return {
    a: { values: values(sizeOf(lead) * K, "float32", seed), shape: [...lead, K], dtype: "float32" },
    w: { values: values(K * N, dw, seed + 1), shape: [K, N], dtype: dw },
    scale: { values: scale, shape: form === "column" ? [N] : [], dtype: "float32" },
    ...(form === "no zero point" ? {} : { zp: { values: values(per(N), dw, seed + 3), shape: form === "column" ? [N] : [], dtype: dw } }),
  };
}

const inputsOf = (p: Problem): HostInput[] => [p.a, p.w, p.scale, ...(p.zp ? [p.zp] : [])];

/**
 * Σ a·(w − z)·s in float64, and the error a float32 sum of K terms may carry in any order:
 * K·2^-24·Σ|term| (the classical bound on recursive summation), plus one rounding of the scale.
 */
function oracle({ a, w, scale, zp }: Problem): { want: Float64Array; bound: Float64Array } {
  const [K, N] = w.shape as [number, number];
  const M = a.values.length / K;
  const at = (p: HostInput | undefined, j: number) => (p ? (p.values.length > 1 ? p.values[j]! : p.values[0]!) : 0);
  const want = new Float64Array(M * N);
  const bound = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const term = a.values[i * K + k]! * (w.values[k * N + j]! - at(zp, j)) * at(scale, j);
        s += term;
        abs += Math.abs(term);
      }
      want[i * N + j] = s;
      bound[i * N + j] = (K + 2) * 2 ** -24 * abs + 1e-30;
    }
  return { want, bound };
}

function assertClose(got: ArrayLike<number>, p: Problem, what: string): void {
  const { want, bound } = oracle(p);
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= bound[i]!, `${what}: element ${i} is ${got[i]}, want ${want[i]} ± ${bound[i]}`);
  }
}

/** The WASM kernel alone: a reference that throws proves it did not decline. */
function runWasm(p: Problem, threads: number): Float32Array {
  const kernel = fastMatmulDequantized(() => {
    throw new Error("the WASM kernel declined");
  }).kernel;
  return runOp("matmulDequantized", inputsOf(p), {}, { device: new CpuDevice({ threads }), kernel })[0]!.values as Float32Array;
}

for (const dw of ["uint8", "int8"] as const) {
  test(`matmulDequantized WASM kernel equals Σ a·(w − z)·s within float32 summation error: ${dw}, every parameter form`, () => {
    for (const form of ["tensor", "column", "no zero point"] as const) {
      // Every row tail (1..7 rows past the tiles of eight) and column tail (past groups of eight).
      for (const [M, K, N] of [
        [7, 37, 21],
        [1, 1, 8],
        [13, 64, 9],
        [4, 288, 40],
        [3, 5, 3],
        [2, 16, 11],
        [8, 20, 16],
        [17, 9, 10],
        [6, 3, 1],
      ]) {
        const p = problem([M!], K!, N!, dw, form, M! * 100 + K!);
        assertClose(runWasm(p, 1), p, `${form} ${M}x${K}x${N}`);
      }
    }
  });
}

test("matmulDequantized WASM kernel split across two threads equals the one-thread result exactly", () => {
  // Each output is summed by one thread in k order, so the split changes nothing.
  const p = problem([2, 7], 288, 1000, "uint8", "column", 5);
  const one = runWasm(p, 1);
  assert.deepEqual(runWasm(p, 2), one);
  assertClose(one, p, "[2, 7, 288] x [288, 1000]");
});

test("matmulDequantized on the device (WASM) and on the reference decomposition (wasm off) agree within summation error", () => {
  for (const dw of ["uint8", "int8"] as const) {
    const p = problem([2, 3], 70, 20, dw, "column", 9);
    const [fast] = runOp("matmulDequantized", inputsOf(p), {}, { device: new CpuDevice() });
    const [reference] = runOp("matmulDequantized", inputsOf(p), {}, { device: new CpuDevice({ wasm: false }) });
    assert.deepEqual(fast!.shape, [2, 3, 20]);
    assertClose(fast!.values, p, `${dw} device`);
    assertClose(reference!.values, p, `${dw} reference`);
  }
});

test("matmulDequantized WASM kernel packs an A whose rows are strided (a slice of wider rows), on one and two threads", () => {
  // 11·288·700 multiply-adds: enough for the two-thread device to split the columns.
  const [M, K, N, pad] = [11, 288, 700, 3];
  const p = problem([M], K, N, "int8", "column", 13);
  // The same A stored in rows of K + pad values, the pad holding values the kernel must not read.
  const wide = Array.from({ length: M * (K + pad) }, (_, i) => (i % (K + pad) < K ? p.a.values[Math.floor(i / (K + pad)) * K + (i % (K + pad))]! : 1e30));
  const strided: Problem = { ...p, a: { values: wide.slice(0, (M - 1) * (K + pad) + K), shape: [M, K], strides: [K + pad, 1], dtype: "float32" } };
  for (const threads of [1, 2]) assertClose(runWasm(strided, threads), p, `strided A, ${threads} thread(s)`);
});
