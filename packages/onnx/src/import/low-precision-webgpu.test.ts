import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { DataType } from "../proto/types.ts";
import { OnnxSession } from "../session.ts";
import { buildModel } from "../testing/model-builder.ts";

/**
 * The low-precision casts are HAL float ops (log2, floor, gather, round half to even): on webgpu
 * (WGSL's own log and round) they give the cpu's values bit for bit, the cpu's being checked
 * against onnxruntime in low-precision-onnxruntime.test.ts.
 */
const skip: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

const x = Float32Array.from([
  0,
  -0,
  NaN,
  Infinity,
  -Infinity,
  1.0625,
  1.1875,
  -2.125,
  464,
  465,
  61440,
  0.3,
  2 ** -9,
  2 ** -10,
  3 * 2 ** -11,
  1e-7,
  5.5,
  -1e30,
  0.1,
  2 ** -126,
  ...Array.from({ length: 24 }, (_, i) => Math.sin(i * 3.7) * 2 ** ((i % 13) - 4)),
]);

async function cast(device: string, to: number, saturate: number): Promise<Float32Array> {
  const model = buildModel({
    opset: 25,
    inputs: [{ name: "x", type: "float32", shape: [x.length] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Cast", inputs: ["x"], outputs: ["q"], attrs: { to, saturate } },
      { op: "Cast", inputs: ["q"], outputs: ["y"], attrs: { to: DataType.FLOAT } },
    ],
  });
  const session = await OnnxSession.create(model, { device });
  try {
    return (await session.run({ x: { data: x, shape: [x.length] } })).y!.data as Float32Array;
  } finally {
    session.dispose();
  }
}

test("casts to float8, float4, bfloat16 and e8m0 on webgpu equal the cpu's, NaN and −0 included", { skip }, async () => {
  for (const to of [DataType.FLOAT8E4M3FN, DataType.FLOAT8E5M2FNUZ, DataType.FLOAT4E2M1, DataType.BFLOAT16, DataType.FLOAT8E8M0]) {
    for (const saturate of [1, 0]) {
      const [cpu, gpu] = [await cast("cpu", to, saturate), await cast("webgpu", to, saturate)];
      cpu.forEach((v, i) =>
        assert.ok(
          Object.is(gpu[i], v),
          `type ${to} saturate ${saturate} x=${x[i]}: webgpu ${Object.is(gpu[i], -0) ? "-0" : gpu[i]}, cpu ${Object.is(v, -0) ? "-0" : v}`,
        ),
      );
    }
  }
});
