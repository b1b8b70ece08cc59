import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import type { HostInput } from "../testing.ts";
import { runMatmulEpilogue } from "./matmul-epilogue.ts";
import { programAttrs, PROGRAMS, runInLoop, tensor, twoPass } from "./testing/epilogue-in-loop.ts";

const devices = [new CpuDevice({ threads: 1 }), new CpuDevice({ threads: 2 })];
after(() => devices.forEach((d) => d.dispose()));

/** Products with edge tiles (M not a multiple of 4, N not of 8), transposed operands, a broadcast batch, two K blocks, and one big enough for the worker pool. */
const MATMULS: { name: string; a: number[]; b: number[]; attrs: Attrs; bStrides?: number[] }[] = [
  { name: "13x11 · 11x21", a: [13, 11], b: [11, 21], attrs: {} },
  { name: "batched, both transposed", a: [3, 9, 10], b: [3, 17, 9], attrs: { transposeA: true, transposeB: true } },
  { name: "b broadcast over the batch (a stride-0 view)", a: [2, 3, 7, 5], b: [2, 3, 5, 12], bStrides: [0, 60, 12, 1], attrs: {} },
  { name: "K = 800 (three K blocks)", a: [9, 800], b: [800, 10], attrs: {} },
  { name: "64x70 · 70x600 (the pool)", a: [64, 70], b: [70, 600], attrs: {} },
];

/** Extra inputs of a program that takes one: a row of N (a bias), a column of M, a residual, a residual broadcast over the batch, a scalar. */
function extraInputs(out: number[], seed: number): HostInput[] {
  const [m, n] = out.slice(-2) as [number, number];
  const overBatch = out.length > 2 ? [tensor([1, ...out.slice(1)], seed + 3)] : [];
  return [tensor([n], seed), tensor([m, 1], seed + 1), tensor(out, seed + 2), ...overBatch, tensor([1], seed + 4)];
}

function outShape(g: (typeof MATMULS)[number]): number[] {
  const [ra, rb] = [g.a.length, g.b.length];
  const m = g.a[g.attrs.transposeA ? ra - 1 : ra - 2]!;
  const n = g.b[g.attrs.transposeB ? rb - 2 : rb - 1]!;
  const batch = g.a.slice(0, -2);
  return [...batch, m, n];
}

for (const g of MATMULS) {
  for (const [program, p] of Object.entries(PROGRAMS)) {
    test(`matmulEpilogue in the GEMM equals the matmul then the program, bit for bit: ${g.name}, ${program}`, () => {
      const b = g.bStrides ? { ...tensor(g.b.slice(1), 2), shape: g.b, strides: g.bStrides } : tensor(g.b, 2);
      const base = [tensor(g.a, 1), b];
      const extras = p.extra ? extraInputs(outShape(g), 3).map((e) => [e]) : [[]];
      for (const device of devices) {
        for (const extra of extras) {
          const inputs = [...base, ...extra];
          const attrs = { ...g.attrs, ...programAttrs(program), baseInputs: 2 };
          const got = runInLoop(runMatmulEpilogue, "matmulEpilogue", inputs, attrs, device);
          assert.ok(got, `the in-loop path took it (${device.fast!.threads} threads, extra ${JSON.stringify(extra[0]?.shape)})`);
          assert.deepEqual(got, twoPass("matmulEpilogue", inputs, attrs, device));
        }
      }
    });
  }
}

test("the in-loop matmul epilogue declines a few rows (the dot-product path) and an extra input aliasing the output", () => {
  const device = devices[0]!;
  const relu = { ...programAttrs("relu"), baseInputs: 2 };
  assert.equal(runInLoop(runMatmulEpilogue, "matmulEpilogue", [tensor([2, 9], 1), tensor([12, 9], 2)], { ...relu, transposeB: true }, device), undefined);
  const row = { ...programAttrs("add then relu"), baseInputs: 2 };
  // An extra input strided along the columns (a transposed view) is not addressable per tile.
  const transposed = { ...tensor([12, 8], 3), shape: [8, 12], strides: [1, 8] };
  assert.equal(runInLoop(runMatmulEpilogue, "matmulEpilogue", [tensor([8, 9], 1), tensor([9, 12], 2), transposed], row, device), undefined);
});

/** A linear layer's bias add, either order: the one program the few-row dot-product path runs. */
const biasAdd = (order: number[]): Attrs => ({ program: JSON.stringify([{ op: "add", args: order }]), outputs: [2], baseInputs: 2, transposeB: true });

test("a few rows against Wᵀ with a bias add run on the dot-product path, bit for bit the matmul then the add", () => {
  // K = 43 (vectors and a scalar tail), N = 13 (column blocks of 4 and single columns), a batch of 2.
  const shapes: [number[], number[]][] = [
    [
      [1, 43],
      [13, 43],
    ],
    [
      [3, 43],
      [13, 43],
    ],
    [
      [2, 1, 43],
      [2, 13, 43],
    ],
  ];
  for (const device of devices) {
    for (const [a, b] of shapes) {
      for (const order of [
        [0, 1],
        [1, 0],
      ]) {
        const inputs = [tensor(a, 1), tensor(b, 2), tensor([13], 3)];
        const attrs = biasAdd(order);
        const got = runInLoop(runMatmulEpilogue, "matmulEpilogue", inputs, attrs, device);
        assert.ok(got, `the dot path took [${a}] · [${b}]ᵀ + bias (${device.fast!.threads} threads)`);
        assert.deepEqual(got, twoPass("matmulEpilogue", inputs, attrs, device));
      }
    }
  }
});

test("the dot-product path declines a bias that does not run along the columns", () => {
  const device = devices[0]!;
  // [M, 1]: one value per row, not per column.
  assert.equal(runInLoop(runMatmulEpilogue, "matmulEpilogue", [tensor([3, 9], 1), tensor([12, 9], 2), tensor([3, 1], 3)], biasAdd([0, 1]), device), undefined);
});

test("a decline remembered for a few rows does not stop the same attrs object taking more rows", () => {
  const device = devices[0]!;
  const attrs = { ...programAttrs("relu"), baseInputs: 2, transposeB: true };
  const few = [tensor([2, 9], 1), tensor([12, 9], 2)];
  for (let run = 0; run < 2; run++) assert.equal(runInLoop(runMatmulEpilogue, "matmulEpilogue", few, attrs, device), undefined);
  const many = [tensor([13, 9], 1), tensor([12, 9], 2)];
  const got = runInLoop(runMatmulEpilogue, "matmulEpilogue", many, attrs, device);
  assert.ok(got, "the in-loop path took 13 rows");
  assert.deepEqual(got, twoPass("matmulEpilogue", many, attrs, device));
});
