import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import { importOnnx } from "./importer.ts";
import { OnnxSession } from "../session.ts";
import { buildModel } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "../testing/onnxruntime.ts";

/**
 * DeformConv against onnxruntime-node on what ONNX's four node tests leave out: batches, groups
 * with several offset groups, strides, dilations, uneven pads, offsets that carry taps off the
 * image (partly and wholly), mask and bias together, on cpu and npu-sim.
 */
const skip = ort ? false : "onnxruntime-node is not installed";

interface Case {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly oc: number;
  readonly kernel: [number, number];
  readonly attrs: { group?: number; offset_group?: number; strides?: number[]; dilations?: number[]; pads?: number[] };
  readonly mask?: boolean;
  readonly bias?: boolean;
  /** How far the offsets reach, in pixels (beyond the image for large values). */
  readonly reach: number;
}

const CASES: Case[] = [
  {
    name: "two images, groups 2 with offset groups 2, mask and bias",
    x: [2, 4, 5, 6],
    oc: 6,
    kernel: [3, 3],
    attrs: { group: 2, offset_group: 2, pads: [1, 1, 1, 1] },
    mask: true,
    bias: true,
    reach: 1.5,
  },
  {
    name: "stride 2, dilation 2, uneven pads, offsets off the image",
    x: [1, 3, 7, 6],
    oc: 2,
    kernel: [2, 3],
    attrs: { strides: [2, 1], dilations: [2, 2], pads: [0, 2, 1, 0] },
    reach: 6,
  },
  { name: "groups 3 with one offset group, a 1x1 kernel", x: [1, 3, 4, 4], oc: 3, kernel: [1, 1], attrs: { group: 3 }, bias: true, reach: 2.5 },
  {
    name: "offset groups 3 over 6 channels, one group",
    x: [1, 6, 3, 5],
    oc: 4,
    kernel: [2, 2],
    attrs: { offset_group: 3, strides: [1, 2] },
    mask: true,
    reach: 1,
  },
];

/** A deterministic sequence in [-1, 1) (no Math.random: failures repeat). */
function values(count: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: count }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

function outSize(c: Case, i: 0 | 1): number {
  const pads = c.attrs.pads ?? [0, 0, 0, 0];
  const span = (c.kernel[i] - 1) * (c.attrs.dilations?.[i] ?? 1) + 1;
  return Math.floor((c.x[2 + i] + pads[i]! + pads[i + 2]! - span) / (c.attrs.strides?.[i] ?? 1)) + 1;
}

function caseModel(c: Case): { model: Uint8Array; feeds: Record<string, { data: Float32Array; shape: number[] }> } {
  const [n, ch] = c.x;
  const g = c.attrs.offset_group ?? 1;
  const taps = c.kernel[0] * c.kernel[1];
  const [oh, ow] = [outSize(c, 0), outSize(c, 1)];
  const shapes: Record<string, number[]> = {
    X: c.x,
    W: [c.oc, ch / (c.attrs.group ?? 1), ...c.kernel],
    offset: [n, g * taps * 2, oh, ow],
    ...(c.bias ? { B: [c.oc] } : {}),
    ...(c.mask ? { mask: [n, g * taps, oh, ow] } : {}),
  };
  const feeds = Object.fromEntries(
    Object.entries(shapes).map(([name, shape], k) => {
      const data = values(
        shape.reduce((a, b) => a * b, 1),
        7 + k,
      );
      if (name === "offset") data.forEach((v, i) => (data[i] = v * c.reach));
      return [name, { data, shape }];
    }),
  );
  const inputs = ["X", "W", "offset", c.bias ? "B" : "", ...(c.mask ? ["mask"] : [])];
  const model = buildModel({
    opset: 19,
    inputs: Object.entries(shapes).map(([name, shape]) => ({ name, type: "float32", shape })),
    outputs: [{ name: "Y", type: "float32" }],
    nodes: [{ op: "DeformConv", inputs, outputs: ["Y"], attrs: { ...c.attrs, kernel_shape: c.kernel } }],
  });
  return { model, feeds };
}

for (const device of ["cpu", "npu-sim"]) {
  for (const c of CASES) {
    test(`DeformConv, ${c.name}, on ${device} matches onnxruntime`, { skip }, async () => {
      const { model, feeds } = caseModel(c);
      const session = await OnnxSession.create(model, { device });
      try {
        const got = await session.run(feeds);
        assert.deepEqual(got.Y!.shape, [c.x[0], c.oc, outSize(c, 0), outSize(c, 1)]);
        const ortFeeds: Record<string, OrtFeed> = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, { ...f, type: "float32" }]));
        await expectLikeOnnxruntime(model, ortFeeds, got, 1e-5);
      } finally {
        session.dispose();
      }
    });
  }
}

test("DeformConv refuses an offset of the wrong shape, naming both", () => {
  const c = CASES[0]!;
  const model = buildModel({
    opset: 19,
    inputs: [
      { name: "X", type: "float32", shape: c.x },
      { name: "W", type: "float32", shape: [c.oc, 2, 3, 3] },
      { name: "offset", type: "float32", shape: [2, 18, 5, 6] },
    ],
    outputs: [{ name: "Y", type: "float32" }],
    nodes: [{ op: "DeformConv", inputs: ["X", "W", "offset"], outputs: ["Y"], attrs: { group: 2, offset_group: 2, pads: [1, 1, 1, 1] } }],
  });
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof ShapeError && /offset must be \[2, 36, 5, 6\], got \[2, 18, 5, 6\]/.test(e.message),
  );
});

test("DeformConv refuses 3-D input, saying 2-D is supported", () => {
  const model = buildModel({
    opset: 19,
    inputs: [
      { name: "X", type: "float32", shape: [1, 1, 2, 2, 2] },
      { name: "W", type: "float32", shape: [1, 1, 1, 1, 1] },
      { name: "offset", type: "float32", shape: [1, 3, 2, 2, 2] },
    ],
    outputs: [{ name: "Y", type: "float32" }],
    nodes: [{ op: "DeformConv", inputs: ["X", "W", "offset"], outputs: ["Y"] }],
  });
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof UnsupportedOpError && /3-D deformable convolution is not supported \(2-D is\)/.test(e.message),
  );
});
