import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

/** Deterministic values in [-2, 2). */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (((i + 1) * 7919 * (seed + 3)) % 97) / 24.25 - 2);
}

/** Runs Einsum(equation) on operands of these shapes in Polychip (cpu) and onnxruntime-node; the outputs must agree. */
async function checkEinsum(equation: string, shapes: number[][]): Promise<number[]> {
  const names = shapes.map((_, i) => `x${i}`);
  const model = buildModel({
    opset: 12,
    inputs: names.map((name, i) => ({ name, type: "float32", shape: shapes[i]! })),
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Einsum", inputs: names, outputs: ["y"], attrs: { equation } }],
  });
  const feeds = Object.fromEntries(
    names.map((name, i) => [
      name,
      {
        data: values(
          shapes[i]!.reduce((a, b) => a * b, 1),
          i,
        ),
        shape: shapes[i]!,
      },
    ]),
  );
  const session = await OnnxSession.create(model, { device: "cpu" });
  const got = await session.run(feeds);
  session.dispose();
  await expectLikeOnnxruntime(model, Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, { ...f, type: "float32" as const }])), got, 1e-4);
  return got.y!.shape;
}

const CASES: [string, number[][], number[]][] = [
  [
    "ij,jk->ik",
    [
      [3, 4],
      [4, 5],
    ],
    [3, 5],
  ],
  [
    "ij,jk",
    [
      [3, 4],
      [4, 5],
    ],
    [3, 5],
  ],
  ["ba", [[3, 4]], [4, 3]],
  ["ii->i", [[4, 4]], [4]],
  ["ii", [[4, 4]], []],
  ["bii->bi", [[2, 3, 3]], [2, 3]],
  ["iij->j", [[3, 3, 2]], [2]],
  ["i,j->ij", [[3], [4]], [3, 4]],
  ["ij->", [[3, 4]], []],
  ["ij->j", [[3, 4]], [4]],
  [
    "bhqd,bhkd->bhqk",
    [
      [2, 3, 4, 5],
      [2, 3, 6, 5],
    ],
    [2, 3, 4, 6],
  ],
  [
    "...ij,...jk->...ik",
    [
      [2, 1, 3, 4],
      [2, 5, 4, 2],
    ],
    [2, 5, 3, 2],
  ],
  [
    "...ij,jk->...ik",
    [
      [2, 3, 3, 4],
      [4, 2],
    ],
    [2, 3, 3, 2],
  ],
  ["...ii->...i", [[2, 3, 3]], [2, 3]],
  ["i...->...", [[3, 2, 4]], [2, 4]],
  [
    "abc,cd,de->abe",
    [
      [2, 3, 4],
      [4, 5],
      [5, 2],
    ],
    [2, 3, 2],
  ],
  [
    "Ab,bA->",
    [
      [3, 4],
      [4, 3],
    ],
    [],
  ],
  [
    "ij,ij->ij",
    [
      [3, 4],
      [3, 4],
    ],
    [3, 4],
  ],
  [
    "i j , j k -> i k",
    [
      [2, 3],
      [3, 2],
    ],
    [2, 2],
  ],
];

for (const [equation, shapes, want] of CASES) {
  test(`Einsum '${equation}' on ${shapes.map((s) => `[${s}]`).join(", ")} matches onnxruntime`, { skip }, async () => {
    assert.deepEqual(await checkEinsum(equation, shapes), want);
  });
}

/** Runs Einsum(equation) on one [3, 4] operand. */
async function runOnMatrix(equation: string): Promise<unknown> {
  const model = buildModel({
    opset: 12,
    inputs: [{ name: "x", type: "float32", shape: [3, 4] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Einsum", inputs: ["x"], outputs: ["y"], attrs: { equation } }],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  return session.run({ x: { data: values(12, 0), shape: [3, 4] } }).finally(() => session.dispose());
}

for (const [equation, error, what] of [
  ["ijk->i", /Einsum.*rank 2/, "an equation whose labels do not fit the operand's rank, naming the node"],
  ["ij->iz", /output label 'z'/, "an output label no input has"],
  ["ij->ii", /repeats a label in its output/, "an output that repeats a label"],
  ["i.j->ij", /not letters/, "a term that is not letters and one ellipsis"],
] as [string, RegExp, string][])
  test(`Einsum refuses ${what} ('${equation}')`, async () => {
    await assert.rejects(runOnMatrix(equation), error);
  });

/**
 * A naive einsum for explicit equations whose ellipses have been written out as letters: the sum,
 * over every assignment of the labels, of the operands' products (size-1 dims broadcast).
 */
function naiveEinsum(equation: string, operands: { data: ArrayLike<number>; shape: number[] }[]): number[] {
  const [lhs, out] = equation.split("->") as [string, string];
  const terms = lhs.split(",");
  const size = new Map<string, number>();
  terms.forEach((t, i) => [...t].forEach((l, d) => size.set(l, Math.max(size.get(l) ?? 1, operands[i]!.shape[d]!))));
  const labels = [...size.keys()];
  const result = new Array<number>([...out].reduce((p, l) => p * size.get(l)!, 1)).fill(0);
  const total = labels.reduce((p, l) => p * size.get(l)!, 1);
  for (let flat = 0; flat < total; flat++) {
    const at = new Map<string, number>();
    labels.reduceRight((rest, l) => (at.set(l, rest % size.get(l)!), Math.floor(rest / size.get(l)!)), flat);
    const offset = (term: string, shape: number[]) => [...term].reduce((o, l, d) => o * shape[d]! + (shape[d] === 1 ? 0 : at.get(l)!), 0);
    const product = terms.reduce((p, t, i) => p * operands[i]!.data[offset(t, operands[i]!.shape)]!, 1);
    result[[...out].reduce((o, l) => o * size.get(l)! + at.get(l)!, 0)]! += product;
  }
  return result;
}

for (const [equation, spelled, shapes, dtype] of [
  [
    "...ij,...jk->...ik",
    "abij,bjk->abik",
    [
      [2, 1, 2, 2],
      [3, 2, 2],
    ],
    "int32",
  ],
  ["...i,...i->...", "ai,i->a", [[2, 3], [3]], "float32"],
  [
    "i...,i...->...",
    "iab,ib->ab",
    [
      [2, 3, 4],
      [2, 4],
    ],
    "float32",
  ],
] as [string, string, number[][], "int32" | "float32"][])
  test(`Einsum '${equation}' broadcasts ellipses of different ranks (${dtype}), as a naive sum does`, async () => {
    const names = shapes.map((_, i) => `x${i}`);
    const model = buildModel({
      opset: 12,
      inputs: names.map((name, i) => ({ name, type: dtype, shape: shapes[i]! })),
      outputs: [{ name: "y", type: dtype }],
      nodes: [{ op: "Einsum", inputs: names, outputs: ["y"], attrs: { equation } }],
    });
    const operands = shapes.map((shape, i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = dtype === "int32" ? Int32Array.from({ length: n }, (_, j) => j + 1 + 10 * i) : values(n, i);
      return { data, shape, dtype };
    });
    const session = await OnnxSession.create(model, { device: "cpu" });
    const got = await session.run(Object.fromEntries(names.map((name, i) => [name, operands[i]!])));
    session.dispose();
    const want = naiveEinsum(spelled, operands);
    assert.equal(got.y!.data.length, want.length);
    want.forEach((w, i) => assert.ok(Math.abs(got.y!.data[i]! - w) <= 1e-4, `y[${i}]: ${got.y!.data[i]} vs ${w}`));
  });
