import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { execute } from "@polychip/engine/runtime";
import { importOnnx } from "./importer.ts";
import { buildModel, type NodeSpec } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";
import { tensorToProto } from "../tensor.ts";

/**
 * onnxruntime's QOperator ops (com.microsoft QLinear*, QGemm) against onnxruntime-node on int8
 * and uint8 inputs that cover the whole range, with zero points ≠ 0, broadcasting and output
 * scales small enough to saturate at both ends; on cpu and npu-sim.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const webgpu: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));
const MS = "com.microsoft";
type Q = "int8" | "uint8";

/** Deterministic 8-bit values spanning the type's whole range. */
function bytes(n: number, seed: number, type: Q): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const v = (s >>> 15) & 255;
    return type === "int8" ? v - 128 : v;
  });
}

const typed = (type: Q, values: number[]) => (type === "int8" ? Int8Array.from(values) : Uint8Array.from(values));
const scalar = (name: string, v: number) => tensorToProto(name, { dtype: "float32", shape: [], data: Float32Array.of(v) });
const zp = (name: string, type: Q, v: number) => tensorToProto(name, { dtype: type, shape: [], data: typed(type, [v]) });

interface Case {
  node: NodeSpec;
  inputs: { name: string; type: Q; shape: number[] }[];
  initializers: ReturnType<typeof tensorToProto>[];
  outputType: Q | "float32";
}

function build(c: Case): Uint8Array {
  return buildModel({
    opset: 17,
    domains: { [MS]: 1 },
    inputs: c.inputs.map((i) => ({ name: i.name, type: i.type, shape: i.shape })),
    outputs: [{ name: "y", type: c.outputType }],
    nodes: [c.node],
    initializers: c.initializers,
  });
}

/** Elements where Polychip and onnxruntime differ, and the largest difference. */
async function differences(c: Case, device: string): Promise<{ count: number; max: number; n: number }> {
  const model = build(c);
  const values = c.inputs.map((i, k) =>
    bytes(
      i.shape.reduce((a, b) => a * b, 1),
      7 + 13 * k,
      i.type,
    ),
  );
  const session = await ort!.InferenceSession.create(model);
  const want = await session.run(Object.fromEntries(c.inputs.map((i, k) => [i.name, new ort!.Tensor(i.type, typed(i.type, values[k]!), i.shape)])));
  await session.release();
  const got = await execute(importOnnx(model), Object.fromEntries(c.inputs.map((i, k) => [i.name, { data: values[k]!, shape: i.shape, dtype: i.type }])), {
    device,
  });
  const w = Array.from(want.y!.data as ArrayLike<number>);
  assert.deepEqual(got.y!.shape, [...want.y!.dims]);
  let [count, max] = [0, 0];
  w.forEach((v, i) => {
    const d = Math.abs(got.y!.data[i]! - v);
    if (d > 0) count++;
    max = Math.max(max, d);
  });
  return { count, max, n: w.length };
}

function binary(op: "QLinearAdd" | "QLinearMul", type: Q, aShape: number[], bShape: number[], cScale: number): Case {
  const [za, zb, zc] = type === "int8" ? [-3, 5, 2] : [120, 131, 100];
  return {
    node: { op, domain: MS, inputs: ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], outputs: ["y"] },
    inputs: [
      { name: "a", type, shape: aShape },
      { name: "b", type, shape: bShape },
    ],
    initializers: [scalar("sa", 0.0173), zp("za", type, za), scalar("sb", 0.0291), zp("zb", type, zb), scalar("sc", cScale), zp("zc", type, zc)],
    outputType: type,
  };
}

function unary(op: string, type: Q, shape: number[], attrs: NodeSpec["attrs"] = {}, yScale = 0.02, yZp?: number): Case {
  const [zx, zy] = type === "int8" ? [4, yZp ?? -7] : [128, yZp ?? 90];
  return {
    node: { op, domain: MS, inputs: ["x", "sx", "zx", "sy", "zy"], outputs: ["y"], attrs },
    inputs: [{ name: "x", type, shape }],
    initializers: [scalar("sx", 0.05), zp("zx", type, zx), scalar("sy", yScale), zp("zy", type, zy)],
    outputType: type,
  };
}

for (const device of ["cpu", "npu-sim"]) {
  for (const type of ["int8", "uint8"] as const) {
    test(`QLinearAdd and QLinearMul (${type}, broadcasting, saturating) match onnxruntime on ${device}`, { skip }, async () => {
      for (const [a, b] of [
        [
          [2, 3, 8],
          [2, 3, 8],
        ],
        [[2, 3, 8], [8]],
        [
          [3, 1],
          [1, 40],
        ],
        [[37], []],
      ]) {
        for (const op of ["QLinearAdd", "QLinearMul"] as const) {
          const d = await differences(binary(op, type, a!, b!, op === "QLinearAdd" ? 0.04 : 0.03), device);
          assert.equal(d.count, 0, `${op} [${a}] ⊕ [${b}]: ${d.count} of ${d.n} differ, by up to ${d.max}`);
        }
      }
    });

    test(`QLinearSigmoid and QLinearLeakyRelu (${type}) match onnxruntime on ${device}`, { skip }, async () => {
      const sig = await differences(unary("QLinearSigmoid", type, [4, 64], {}, 1 / 256, type === "int8" ? -128 : 0), device);
      assert.equal(sig.count, 0, `QLinearSigmoid: ${sig.count} of ${sig.n} differ, by up to ${sig.max}`);
      const lr = await differences(unary("QLinearLeakyRelu", type, [4, 64], { alpha: { float: 0.13 } }, 0.04), device);
      assert.equal(lr.count, 0, `QLinearLeakyRelu: ${lr.count} of ${lr.n} differ, by up to ${lr.max}`);
    });

    test(`QLinearAveragePool and QLinearGlobalAveragePool (${type}, channels_last) match onnxruntime on ${device}`, { skip }, async () => {
      for (const channelsLast of [0, 1]) {
        const shape = channelsLast ? [2, 6, 7, 3] : [2, 3, 6, 7];
        const attrs = { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], count_include_pad: 0, channels_last: channelsLast };
        const avg = await differences(unary("QLinearAveragePool", type, shape, attrs, 0.03), device);
        assert.equal(avg.count, 0, `QLinearAveragePool channels_last=${channelsLast}: ${avg.count} of ${avg.n} differ, by up to ${avg.max}`);
        const glob = await differences(unary("QLinearGlobalAveragePool", type, shape, { channels_last: channelsLast }, 0.0007), device);
        assert.equal(glob.count, 0, `QLinearGlobalAveragePool channels_last=${channelsLast}: ${glob.count} of ${glob.n} differ, by up to ${glob.max}`);
      }
    });

    test(`QLinearSoftmax (${type}, opset 13 and 12) matches onnxruntime on ${device}`, { skip }, async () => {
      for (const [opset, axis] of [
        [13, -1],
        [12, 1],
      ]) {
        const c = unary("QLinearSoftmax", type, [3, 4, 20], { opset, axis }, 1 / 256, type === "int8" ? -128 : 0);
        const d = await differences(c, device);
        assert.equal(d.count, 0, `QLinearSoftmax opset ${opset}: ${d.count} of ${d.n} differ, by up to ${d.max}`);
      }
    });

    test(`QLinearConcat (${type}, three inputs of different scales) matches onnxruntime on ${device}`, { skip }, async () => {
      const [z1, z2, z3, zy] = type === "int8" ? [0, -20, 9, 3] : [128, 100, 140, 120];
      const c: Case = {
        node: {
          op: "QLinearConcat",
          domain: MS,
          inputs: ["sy", "zy", "x1", "s1", "z1", "x2", "s2", "z2", "x3", "s3", "z3"],
          outputs: ["y"],
          attrs: { axis: 1 },
        },
        inputs: [
          { name: "x1", type, shape: [2, 3, 4] },
          { name: "x2", type, shape: [2, 5, 4] },
          { name: "x3", type, shape: [2, 1, 4] },
        ],
        initializers: [
          scalar("sy", 0.03),
          zp("zy", type, zy),
          scalar("s1", 0.03),
          zp("z1", type, z1),
          scalar("s2", 0.071),
          zp("z2", type, z2),
          scalar("s3", 0.011),
          zp("z3", type, z3),
        ],
        outputType: type,
      };
      const d = await differences(c, device);
      assert.equal(d.count, 0, `QLinearConcat: ${d.count} of ${d.n} differ, by up to ${d.max}`);
    });
  }

  test(`QGemm (uint8 A, int8 B, bias, transB, alpha; quantised and float output) matches onnxruntime on ${device}`, { skip }, async () => {
    const [m, k, n] = [5, 37, 6];
    const base = [
      scalar("sa", 0.02),
      zp("za", "uint8", 117),
      tensorToProto("B", { dtype: "int8", shape: [n, k], data: Int8Array.from(bytes(n * k, 3, "int8")) }),
      tensorToProto("sb", { dtype: "float32", shape: [n], data: Float32Array.from({ length: n }, (_, i) => 0.01 + 0.003 * i) }),
      tensorToProto("zb", { dtype: "int8", shape: [n], data: new Int8Array(n) }),
      tensorToProto("C", { dtype: "int32", shape: [n], data: Int32Array.from({ length: n }, (_, i) => (i - 3) * 900) }),
      scalar("sy", 0.12),
      zp("zy", "uint8", 128),
    ];
    const attrs = { transB: 1, alpha: { float: 0.75 } };
    const quant = await differences(
      {
        node: { op: "QGemm", domain: MS, inputs: ["a", "sa", "za", "B", "sb", "zb", "C", "sy", "zy"], outputs: ["y"], attrs },
        inputs: [{ name: "a", type: "uint8", shape: [m, k] }],
        initializers: base,
        outputType: "uint8",
      },
      device,
    );
    assert.equal(quant.count, 0, `QGemm: ${quant.count} of ${quant.n} differ, by up to ${quant.max}`);
    const float = await differences(
      {
        node: { op: "QGemm", domain: MS, inputs: ["a", "sa", "za", "B", "sb", "zb", "C"], outputs: ["y"], attrs },
        inputs: [{ name: "a", type: "uint8", shape: [m, k] }],
        initializers: base,
        outputType: "float32",
      },
      device,
    );
    assert.ok(float.max <= 1e-5, `QGemm float output: up to ${float.max} apart`);
  });
}

test("QLinearAdd refuses a per-channel scale and mixed int8/uint8 operands, naming the node", () => {
  const c = binary("QLinearAdd", "uint8", [2, 3], [2, 3], 0.01);
  const perChannel = {
    ...c,
    initializers: [...c.initializers.filter((t) => t.name !== "sa"), tensorToProto("sa", { dtype: "float32", shape: [3], data: Float32Array.of(1, 2, 3) })],
  };
  const named = (k: Case) => build({ ...k, node: { ...k.node, name: "qadd" } });
  assert.throws(() => importOnnx(named(perChannel)), /qadd.*scale 'sa' must be a scalar or hold one element, got \[3\]/s);
  const mixed = { ...c, inputs: [c.inputs[0]!, { ...c.inputs[1]!, type: "int8" as const }] };
  assert.throws(() => importOnnx(named(mixed)), /qadd.*A is uint8 but B is int8/s);
  const badZp = { ...c, initializers: [...c.initializers.filter((t) => t.name !== "zc"), zp("zc", "int8", 1)] };
  assert.throws(() => importOnnx(named(badZp)), /qadd.*zero point 'zc' is int8, expected uint8/s);
});

test("QLinearAdd, QLinearMul, QLinearAveragePool (channels_last) and QLinearSoftmax match onnxruntime on webgpu", { skip: skip || webgpu }, async () => {
  for (const op of ["QLinearAdd", "QLinearMul"] as const) {
    const d = await differences(binary(op, "int8", [2, 3, 8], [8], op === "QLinearAdd" ? 0.04 : 0.03), "webgpu");
    assert.equal(d.count, 0, `${op}: ${d.count} of ${d.n} differ, by up to ${d.max}`);
  }
  const attrs = { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], count_include_pad: 0, channels_last: 1 };
  const avg = await differences(unary("QLinearAveragePool", "uint8", [2, 6, 7, 3], attrs, 0.03), "webgpu");
  assert.equal(avg.count, 0, `QLinearAveragePool: ${avg.count} of ${avg.n} differ, by up to ${avg.max}`);
  const soft = await differences(unary("QLinearSoftmax", "uint8", [3, 4, 20], { opset: 13, axis: -1 }, 1 / 256, 0), "webgpu");
  assert.equal(soft.count, 0, `QLinearSoftmax: ${soft.count} of ${soft.n} differ, by up to ${soft.max}`);
});

test("QLinearMul rounds after adding the zero point, as onnxruntime does (a product 0.000008 short of a .5 tie)", { skip }, async () => {
  // float32(-92.49999 + 233) is 140.5, which rounds to even 140; rounding first would give 141.
  const bits = (b: number[]) => new Float32Array(Uint8Array.from(b).buffer)[0]!;
  const c: Case = {
    node: { op: "QLinearMul", domain: MS, inputs: ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], outputs: ["y"] },
    inputs: [
      { name: "a", type: "uint8", shape: [1] },
      { name: "b", type: "uint8", shape: [1] },
    ],
    initializers: [
      scalar("sa", bits([116, 115, 182, 60])),
      zp("za", "uint8", 15),
      scalar("sb", bits([138, 202, 203, 60])),
      zp("zb", "uint8", 155),
      scalar("sc", bits([226, 203, 160, 61])),
      zp("zc", "uint8", 233),
    ],
    outputType: "uint8",
  };
  const got = await execute(
    importOnnx(build(c)),
    { a: { data: [241], shape: [1], dtype: "uint8" }, b: { data: [97], shape: [1], dtype: "uint8" } },
    { device: "cpu" },
  );
  assert.deepEqual(Array.from(got.y!.data), [140]);
});

test("the QOperator ops match onnxruntime element for element under random scales and zero points (cpu)", { skip }, async () => {
  let s = 99;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const cases: [string, boolean, NodeSpec["attrs"]][] = [
    ["QLinearAdd", true, {}],
    ["QLinearMul", true, {}],
    ["QLinearAveragePool", false, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }],
    ["QLinearSoftmax", false, { opset: 13 }],
    ["QLinearSigmoid", false, {}],
    ["QLinearLeakyRelu", false, { alpha: { float: 0.2 } }],
  ];
  for (let trial = 0; trial < 8; trial++) {
    for (const type of ["uint8", "int8"] as const) {
      const z = () => Math.floor(rnd() * 256) - (type === "int8" ? 128 : 0);
      const sc = () => Math.fround(0.001 + rnd() * 0.1);
      for (const [op, binaryOp, attrs] of cases) {
        const c: Case = binaryOp
          ? { ...binary(op as "QLinearAdd", type, [1, 4, 8, 8], [1, 4, 8, 8], 1), initializers: [] }
          : { ...unary(op, type, [1, 4, 8, 8], attrs), initializers: [] };
        const names = binaryOp ? ["sa", "za", "sb", "zb", "sc", "zc"] : ["sx", "zx", "sy", "zy"];
        c.initializers = names.map((n) => (n.startsWith("s") ? scalar(n, op === "QLinearSoftmax" && n === "sy" ? 1 / 256 : sc()) : zp(n, type, z())));
        const d = await differences(c, "cpu");
        assert.equal(d.count, 0, `${op} ${type} trial ${trial}: ${d.count} of ${d.n} differ, by up to ${d.max}`);
      }
    }
  }
});
