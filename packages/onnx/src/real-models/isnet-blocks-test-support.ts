import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import type { TensorProto } from "../proto/types.ts";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";

/**
 * Shared by the ISNet op-pattern tests: the suite's two ISNet models take 1024×1024 images and are
 * too slow for npu-sim and a software WebGPU adapter, so their op patterns run there at 32×32.
 */

/** A bright blob on a darker, textured background, in ISNet's input range (±0.5), [1, 3, 32, 32]. */
export const BLOCK_IMAGE = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => {
  const [c, y, x] = [Math.floor(i / 1024), Math.floor(i / 32) % 32, i % 32];
  const inside = (x - 16) ** 2 + (y - 17) ** 2 < 80;
  return inside ? 0.35 - 0.05 * c : -0.2 + 0.15 * Math.sin(x * 0.7 + c) * Math.cos(y * 0.4);
});

/** Deterministic weight values in ±`scale`. */
export function weightValues(n: number, seed: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => scale * Math.sin(i * 1.37 + seed) * Math.cos(i * 0.29));
}

/**
 * A block over input "x" [1, 3, 32, 32] with float32 outputs "mask" and "logits" (opset 15). The
 * initializers "sizes_at" and "sizes_to" (0 and 4) slice a Shape into a Resize's sizes.
 */
export function blockModel(nodes: NodeSpec[], initializers: TensorProto[]): Uint8Array {
  return buildModel({
    opset: 15,
    inputs: [{ name: "x", type: "float32", shape: [1, 3, 32, 32] }],
    outputs: [
      { name: "mask", type: "float32" },
      { name: "logits", type: "float32" },
    ],
    initializers: [...initializers, initializer("sizes_at", [0], [1], "int64"), initializer("sizes_to", [4], [1], "int64")],
    nodes,
  });
}

/** The block's float32 outputs on `device` for BLOCK_IMAGE, fed as input "x". */
export async function runBlock(model: Uint8Array, device: string): Promise<Record<string, Float32Array>> {
  const session = await OnnxSession.create(model, { device });
  try {
    const out = await session.run({ x: { data: BLOCK_IMAGE, shape: [1, 3, 32, 32], dtype: "float32" } });
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, Float32Array.from(t.data)]));
  } finally {
    session.dispose();
  }
}

/** How a block's outputs are compared: a distance between two runs' output (got, want) and its bounds. */
export interface BlockCheck {
  /** e.g. "ISNet's float16 op pattern" */
  readonly label: string;
  readonly model: Uint8Array;
  readonly distance: (got: Float32Array, want: Float32Array) => number;
  /** The distance's unit, for messages. */
  readonly unit: string;
  /** Bound against onnxruntime-node on the cpu, and of npu-sim and webgpu against the cpu. */
  readonly vsOnnxruntime: number;
  readonly vsCpu: number;
}

/**
 * Registers the block's tests: the cpu against onnxruntime-node (each output must vary over the
 * image, so the comparison is not empty), then npu-sim and webgpu (where there is an adapter)
 * against the cpu.
 */
export async function testOnEveryDevice(check: BlockCheck): Promise<void> {
  const webgpu = await useDevice("webgpu").then(
    () => false,
    (err: Error) => `no WebGPU adapter here: ${err.message}`,
  );
  after(() => removeDevice("webgpu"));
  test(`${check.label} on the cpu matches onnxruntime-node within ${check.vsOnnxruntime} ${check.unit}`, {
    skip: !ort && "onnxruntime-node is not installed",
  }, async () => {
    const got = await runBlock(check.model, "cpu");
    const reference = await ort!.InferenceSession.create(check.model);
    const want = await reference.run({ x: new ort!.Tensor("float32", BLOCK_IMAGE, [1, 3, 32, 32]) });
    await reference.release();
    for (const name of reference.outputNames) {
      const w = want[name]!.data as Float32Array;
      assert.ok(Math.max(...w) - Math.min(...w) > 0.1, `${name} must vary over the image`);
      const d = check.distance(got[name]!, w);
      assert.ok(d <= check.vsOnnxruntime, `${name}: ${d} ${check.unit} from onnxruntime-node`);
    }
  });
  for (const device of ["npu-sim", "webgpu"]) {
    test(`${check.label} on ${device} matches the cpu within ${check.vsCpu} ${check.unit}`, { skip: device === "webgpu" && webgpu }, async () => {
      const [cpu, other] = [await runBlock(check.model, "cpu"), await runBlock(check.model, device)];
      for (const [name, want] of Object.entries(cpu)) {
        const d = check.distance(other[name]!, want);
        assert.ok(d <= check.vsCpu, `${name}: ${d} ${check.unit} from the cpu`);
      }
    });
  }
}
