import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { FormatError } from "@polychip/hal";
import { importOnnx } from "./importer.ts";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";

/**
 * ai.onnx.preview.training Gradient on hand-built models: each gradient checked against one
 * worked out by hand or by central finite differences of the same function in float64, on cpu
 * and npu-sim (ONNX's two model tests also run on webgpu through onnx-model-tests-webgpu.test.ts).
 */
const DEVICES = ["cpu", "npu-sim"] as const;
const DOMAIN = "ai.onnx.preview.training";

interface Case {
  readonly inputs: Readonly<Record<string, { shape: number[]; data: number[] }>>;
  readonly nodes: NodeSpec[];
  readonly xs: string[];
  readonly y: string;
  readonly zs?: string[];
  readonly initializers?: ReturnType<typeof initializer>[];
}

/** The model: the case's nodes, then Gradient(xs, zs) with outputs d_<x>. */
function gradientModel(c: Case): Uint8Array {
  const gradientInputs = [...c.xs, ...(c.zs ?? [])];
  return buildModel({
    opset: 17,
    domains: { [DOMAIN]: 1 },
    inputs: Object.entries(c.inputs).map(([name, v]) => ({ name, type: "float32", shape: v.shape })),
    outputs: c.xs.map((x) => ({ name: `d_${x}`, type: "float32" })),
    initializers: c.initializers,
    nodes: [
      ...c.nodes,
      {
        op: "Gradient",
        domain: DOMAIN,
        name: "grad",
        inputs: gradientInputs,
        outputs: c.xs.map((x) => `d_${x}`),
        attrs: { xs: { strings: c.xs }, y: c.y, ...(c.zs ? { zs: { strings: c.zs } } : {}) },
      },
    ],
  });
}

async function gradients(c: Case, device: string): Promise<Record<string, number[]>> {
  const session = await OnnxSession.create(gradientModel(c), { device });
  try {
    const got = await session.run(c.inputs);
    return Object.fromEntries(c.xs.map((x) => [x, Array.from(got[`d_${x}`]!.data as ArrayLike<number>)]));
  } finally {
    session.dispose();
  }
}

function assertClose(got: readonly number[], want: readonly number[], what: string, tolerance = 1e-5): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tolerance * (1 + Math.abs(want[i]!)), `${what}[${i}]: ${v}, expected ${want[i]}`));
}

/** d(f)/d(inputs[x]) by central differences in float64, for a scalar f of the inputs. */
function finiteDifferences(f: (v: Record<string, number[]>) => number, inputs: Case["inputs"], x: string, h = 1e-6): number[] {
  const values = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, [...v.data]]));
  return values[x]!.map((v0, i) => {
    values[x]![i] = v0 + h;
    const up = f(values);
    values[x]![i] = v0 - h;
    const down = f(values);
    values[x]![i] = v0;
    return (up - down) / (2 * h);
  });
}

const sumOfProduct: Case = {
  inputs: { a: { shape: [2, 3], data: [1, -2, 3, 0.5, 4, -1] }, b: { shape: [2, 3], data: [2, 0.25, -3, 1, 5, 7] } },
  nodes: [
    { op: "Mul", inputs: ["a", "b"], outputs: ["p"] },
    { op: "ReduceSum", inputs: ["p"], outputs: ["y"], attrs: { keepdims: 0 } },
  ],
  xs: ["a", "b"],
  y: "y",
};

for (const device of DEVICES) {
  test(`Gradient of sum(a·b) is b for a and a for b (${device})`, async () => {
    const got = await gradients(sumOfProduct, device);
    assertClose(got.a!, sumOfProduct.inputs.b!.data, "d/da");
    assertClose(got.b!, sumOfProduct.inputs.a!.data, "d/db");
  });

  test(`Gradient of a MatMul's tensor output takes ones upstream: dA = 1·Bᵀ, dB = Aᵀ·1 (${device})`, async () => {
    const A = [1, 2, 3, 4, 5, 6];
    const B = [1, -1, 0.5, 2, 0, 3, -2, 1, 4, 0.25, 1, -3];
    const got = await gradients(
      {
        inputs: { A: { shape: [2, 3], data: A }, B: { shape: [3, 4], data: B } },
        nodes: [{ op: "MatMul", inputs: ["A", "B"], outputs: ["Y"] }],
        xs: ["A", "B"],
        y: "Y",
      },
      device,
    );
    // dA[i][k] = Σ_j B[k][j] (every row of dA the row sums of B); dB[k][j] = Σ_i A[i][k].
    const rowSums = [0, 1, 2].map((k) => B.slice(4 * k, 4 * k + 4).reduce((s, v) => s + v, 0));
    assertClose(got.A!, [...rowSums, ...rowSums], "dA");
    assertClose(
      got.B!,
      [0, 1, 2].flatMap((k) => new Array<number>(4).fill(A[k]! + A[3 + k]!)),
      "dB",
    );
  });

  test(`Gradient through Relu, Sigmoid, Add with an initializer, and ReduceMean agrees with finite differences (${device})`, async () => {
    const c: Case = {
      inputs: { x: { shape: [2, 3], data: [0.3, -0.7, 1.2, 2.0, -0.1, 0.05] } },
      initializers: [initializer("w", [0.5, -1.5, 2], [3])],
      nodes: [
        { op: "Add", inputs: ["x", "w"], outputs: ["s"] },
        { op: "Relu", inputs: ["s"], outputs: ["r"] },
        { op: "Sigmoid", inputs: ["r"], outputs: ["g"] },
        { op: "Mul", inputs: ["g", "x"], outputs: ["m"] },
        { op: "ReduceMean", inputs: ["m"], outputs: ["y"], attrs: { keepdims: 0 } },
      ],
      xs: ["x"],
      y: "y",
    };
    const w = [0.5, -1.5, 2];
    const f = (v: Record<string, number[]>) => v.x!.reduce((acc, xi, i) => acc + xi / (1 + Math.exp(-Math.max(xi + w[i % 3]!, 0))), 0) / 6;
    const got = await gradients(c, device);
    assertClose(got.x!, finiteDifferences(f, c.inputs, "x"), "d/dx", 1e-4);
  });

  test(`Gradient through Gemm, Tanh, Softmax, Slice, Transpose and Reshape agrees with finite differences for every x (${device})`, async () => {
    const c: Case = {
      inputs: {
        x: { shape: [2, 3], data: [0.2, -0.4, 0.9, 1.1, 0.3, -0.8] },
        W: { shape: [4, 3], data: [0.5, -0.2, 0.1, 0.3, 0.8, -0.6, -0.7, 0.4, 0.2, 0.05, -0.3, 0.9] },
        b: { shape: [4], data: [0.1, -0.2, 0.3, 0] },
      },
      initializers: [
        initializer("starts", [0], [1], "int64"),
        initializer("ends", [3], [1], "int64"),
        initializer("axes", [1], [1], "int64"),
        initializer("flat", [-1], [1], "int64"),
        initializer("t", [1, -2, 3, 0.5, 2, -1], [6]),
      ],
      nodes: [
        { op: "Gemm", inputs: ["x", "W", "b"], outputs: ["h"], attrs: { transB: 1 } },
        { op: "Tanh", inputs: ["h"], outputs: ["th"] },
        { op: "Softmax", inputs: ["th"], outputs: ["p"], attrs: { axis: -1 } },
        { op: "Slice", inputs: ["p", "starts", "ends", "axes"], outputs: ["s"] },
        { op: "Transpose", inputs: ["s"], outputs: ["st"] },
        { op: "Reshape", inputs: ["st", "flat"], outputs: ["v"] },
        { op: "Mul", inputs: ["v", "t"], outputs: ["m"] },
        { op: "ReduceSum", inputs: ["m"], outputs: ["y"], attrs: { keepdims: 0 } },
      ],
      xs: ["x", "W", "b"],
      y: "y",
    };
    const t = [1, -2, 3, 0.5, 2, -1];
    const f = ({ x, W, b }: Record<string, number[]>) => {
      let y = 0;
      for (let i = 0; i < 2; i++) {
        const th = [0, 1, 2, 3].map((j) => Math.tanh(b![j]! + [0, 1, 2].reduce((acc, k) => acc + x![3 * i + k]! * W![3 * j + k]!, 0)));
        const z = th.reduce((acc, v) => acc + Math.exp(v), 0);
        // Transposed [3, 2] then flattened: element (j, i) at 2j + i.
        for (let j = 0; j < 3; j++) y += (Math.exp(th[j]!) / z) * t[2 * j + i]!;
      }
      return y;
    };
    const got = await gradients(c, device);
    for (const x of c.xs) assertClose(got[x]!, finiteDifferences(f, c.inputs, x), `d/d${x}`, 1e-4);
  });

  test(`Gradient sums a broadcast input's gradient back to its shape (${device})`, async () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [0.5, -1, 2];
    const got = await gradients(
      {
        inputs: { a: { shape: [2, 3], data: a }, b: { shape: [3], data: b } },
        nodes: [
          { op: "Sub", inputs: ["a", "b"], outputs: ["d"] },
          { op: "Mul", inputs: ["d", "d"], outputs: ["sq"] },
          { op: "ReduceSum", inputs: ["sq"], outputs: ["y"], attrs: { keepdims: 0 } },
        ],
        xs: ["a", "b"],
        y: "y",
      },
      device,
    );
    // y = Σ (a - b)²: dA = 2(a - b), dB = -2 Σ_rows (a - b).
    assertClose(
      got.a!,
      a.map((v, i) => 2 * (v - b[i % 3]!)),
      "d/da",
    );
    assertClose(
      got.b!,
      b.map((bk, k) => -2 * (a[k]! - bk + a[3 + k]! - bk)),
      "d/db",
    );
  });

  test(`Gradient gives zeros of x's shape for an x that y does not depend on, and reads zs without differentiating them (${device})`, async () => {
    const got = await gradients(
      {
        inputs: { x: { shape: [3], data: [1, 2, 3] }, unused: { shape: [2, 2], data: [1, 1, 1, 1] }, z: { shape: [3], data: [4, -5, 6] } },
        nodes: [
          { op: "Mul", inputs: ["x", "z"], outputs: ["y"] },
          { op: "Neg", inputs: ["unused"], outputs: ["n"] },
        ],
        xs: ["x", "unused"],
        zs: ["z"],
        y: "y",
      },
      device,
    );
    assertClose(got.x!, [4, -5, 6], "d/dx");
    assertClose(got.unused!, [0, 0, 0, 0], "d/dunused");
  });
}

test("Gradient of a value of x itself is ones", async () => {
  const got = await gradients({ inputs: { x: { shape: [2], data: [3, 4] } }, nodes: [], xs: ["x"], y: "x" }, "cpu");
  assertClose(got.x!, [1, 1], "d/dx");
});

test("Gradient refuses a path through an op without a gradient rule, naming the Gradient node and the op", () => {
  const model = gradientModel({
    inputs: { x: { shape: [2, 3], data: [] }, scale: { shape: [3], data: [] } },
    nodes: [{ op: "LayerNormalization", name: "ln", inputs: ["x", "scale"], outputs: ["y"], attrs: { axis: -1 } }],
    xs: ["x"],
    y: "y",
  });
  assert.throws(() => importOnnx(model), /'grad'.*no gradient rule for op '\w+' \(node 'ln'\)/s);
});

test("Gradient evaluates at the values its inputs give: xs name the differentiated values, the inputs feed them", async () => {
  // y = a·a with 'a2' fed to Gradient for 'a': the gradient 2·a2, recomputed from a2.
  const model = buildModel({
    opset: 17,
    domains: { [DOMAIN]: 1 },
    inputs: [
      { name: "a", type: "float32", shape: [2] },
      { name: "a2", type: "float32", shape: [2] },
    ],
    outputs: [{ name: "da", type: "float32" }],
    nodes: [
      { op: "Mul", inputs: ["a", "a"], outputs: ["y"] },
      { op: "Gradient", domain: DOMAIN, inputs: ["a2"], outputs: ["da"], attrs: { xs: { strings: ["a"] }, y: "y" } },
    ],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    const got = await session.run({ a: { data: [1, 2], shape: [2] }, a2: { data: [5, -3], shape: [2] } });
    assertClose(Array.from(got.da!.data as ArrayLike<number>), [10, -6], "d/da at a2");
  } finally {
    session.dispose();
  }
});

test("Gradient refuses a float value a host step computes on the way to y (Unique), rather than treating it as constant", async () => {
  const model = buildModel({
    opset: 17,
    domains: { [DOMAIN]: 1 },
    inputs: [{ name: "x", type: "float32", shape: [4] }],
    outputs: [{ name: "dx", type: "float32" }],
    nodes: [
      { op: "Unique", inputs: ["x"], outputs: ["u"] },
      { op: "ReduceSum", inputs: ["u"], outputs: ["y"], attrs: { keepdims: 0 } },
      { op: "Gradient", domain: DOMAIN, name: "grad", inputs: ["x"], outputs: ["dx"], attrs: { xs: { strings: ["x"] }, y: "y" } },
    ],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    await assert.rejects(session.run({ x: { data: [1, 2, 2, 3], shape: [4] } }), /'grad'.*computed outside the graph's ops \(a host step\)/s);
  } finally {
    session.dispose();
  }
});

test("Gradient refuses inputs that do not match its xs and zs", () => {
  const model = buildModel({
    opset: 17,
    domains: { [DOMAIN]: 1 },
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "dx", type: "float32" }],
    nodes: [
      { op: "Neg", inputs: ["x"], outputs: ["y"] },
      { op: "Gradient", domain: DOMAIN, inputs: ["x", "x"], outputs: ["dx"], attrs: { xs: { strings: ["x"] }, y: "y" } },
    ],
  });
  assert.throws(
    () => importOnnx(model),
    (err: Error) => err instanceof FormatError && /2 inputs for 1 xs and 0 zs/.test(err.message),
  );
});
