import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import "@polychip/devices";
import { DTypeError } from "@polychip/hal";
import { removeDevice, useDevice } from "@polychip/engine";
import { OnnxSession } from "./session.ts";
import { ort } from "./testing/onnxruntime.ts";
import { noise, tokens, type Feed } from "./testing/pytorch-feeds.ts";

/**
 * Ordinary PyTorch modules exported with torch.onnx.export (fixtures/pytorch, written by
 * scripts/export-pytorch-models.py): a BERT-style encoder at two opsets, a causal-attention block
 * with the tensor ops model code reaches for, a scripted loop and if, a GRU→LSTM stack and a small U-Net, each with dynamic axes;
 * and (scripts/export-pytorch-ops.py) sorting and statistics, data-sized results, padding and resampling modes, integer
 * division, indexing and scatter, grid_sample and an nn.Transformer. One session per model runs two input sizes, fed as an
 * onnxruntime user would (int64 ids as BigInt64Array), and must match onnxruntime-node (|difference| ≤ 1e-5 · (1 + |value|)).
 */
const model = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/pytorch/${name}`, import.meta.url)));

const int64 = (values: readonly number[]): Feed => ({ data: BigInt64Array.from(values, BigInt), shape: [values.length] });
const integers = (a: readonly number[], b: readonly number[]) => ({ a: int64(a), b: int64(b) });
const indexing = (x: Float32Array, shape: number[], index: readonly number[]) => ({ x: { data: x.map((v) => (v + 1) / 2), shape }, index: int64(index) });
/** Sampling points up to 20% past the image's edges, where the padding modes differ. */
const grid = (x: Float32Array, shape: number[], gridShape: number[], seed: number) => ({
  x: { data: x, shape },
  grid: {
    data: noise(
      gridShape.reduce((p, d) => p * d, 1),
      seed,
    ).map((v) => v * 1.2),
    shape: gridShape,
  },
});

const CASES: readonly { file: string; sizes: Record<string, Feed>[] }[] = [
  { file: "encoder-opset11.onnx", sizes: [tokens(2, 9, 3), tokens(3, 17, 5)] },
  { file: "encoder-opset17.onnx", sizes: [tokens(2, 9, 3), tokens(4, 5, 2)] },
  { file: "recurrent.onnx", sizes: [{ x: { data: noise(3 * 11 * 20, 1), shape: [3, 11, 20] } }, { x: { data: noise(2 * 25 * 20, 2), shape: [2, 25, 20] } }] },
  { file: "decoder.onnx", sizes: [{ x: { data: noise(2 * 6 * 32, 5), shape: [2, 6, 32] } }, { x: { data: noise(13 * 32, 6), shape: [1, 13, 32] } }] },
  { file: "scripted.onnx", sizes: [{ x: { data: noise(3 * 8, 7), shape: [3, 8] } }, { x: { data: noise(5 * 8, 8).map((v) => v - 3), shape: [5, 8] } }] },
  {
    file: "unet.onnx",
    sizes: [{ x: { data: noise(3 * 32 * 48, 3), shape: [1, 3, 32, 48] } }, { x: { data: noise(2 * 3 * 37 * 50, 4), shape: [2, 3, 37, 50] } }],
  },
  // scripts/export-pytorch-ops.py: the tensor functions the modules above leave out.
  { file: "ops-sorting.onnx", sizes: [{ x: { data: noise(4 * 6, 9), shape: [4, 6] } }, { x: { data: noise(3 * 9, 10), shape: [3, 9] } }] },
  { file: "ops-dynamic.onnx", sizes: [{ x: { data: noise(3 * 4, 11), shape: [3, 4] } }, { x: { data: noise(5 * 2, 12), shape: [5, 2] } }] },
  {
    file: "ops-padding.onnx",
    sizes: [{ x: { data: noise(3 * 6 * 5, 13), shape: [1, 3, 6, 5] } }, { x: { data: noise(2 * 3 * 4 * 8, 14), shape: [2, 3, 4, 8] } }],
  },
  { file: "ops-integers.onnx", sizes: [integers([7, -7, 5, 0, -3, -8], [2, 2, -3, 4, 5, -3]), integers([9, -1, 4], [-4, 3, 3])] },
  { file: "ops-indexing.onnx", sizes: [indexing(noise(5 * 3, 15), [5, 3], [4, 0, 2]), indexing(noise(6 * 3, 16), [6, 3], [1, 5, 5, 0, -2])] },
  {
    file: "ops-grid-sample.onnx",
    sizes: [grid(noise(2 * 5 * 6, 17), [1, 2, 5, 6], [1, 3, 4, 2], 18), grid(noise(2 * 2 * 7 * 3, 19), [2, 2, 7, 3], [2, 2, 5, 2], 20)],
  },
  {
    file: "ops-transformer.onnx",
    sizes: [
      { source: { data: noise(2 * 5 * 16, 21), shape: [2, 5, 16] }, target: { data: noise(2 * 3 * 16, 22), shape: [2, 3, 16] } },
      { source: { data: noise(7 * 16, 23), shape: [1, 7, 16] }, target: { data: noise(6 * 16, 24), shape: [1, 6, 16] } },
    ],
  },
];

const webgpu = await useDevice("webgpu").then(
  () => undefined,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

for (const device of ["cpu", "npu-sim", "webgpu"]) {
  for (const { file, sizes } of CASES) {
    const skip = !ort ? "onnxruntime-node is not installed" : device === "webgpu" ? (webgpu ?? false) : false;
    test(`PyTorch's ${file} runs two input sizes in one ${device} session, matching onnxruntime-node`, { skip }, async () => {
      const bytes = model(file);
      const session = await OnnxSession.create(bytes, { device });
      const reference = await ort!.InferenceSession.create(bytes);
      try {
        for (const feeds of sizes) {
          const want = await reference.run(
            Object.fromEntries(
              Object.entries(feeds).map(([k, f]) => [k, new ort!.Tensor(f.data instanceof BigInt64Array ? "int64" : "float32", f.data, f.shape)]),
            ),
          );
          const got = await session.run(feeds as never);
          for (const name of reference.outputNames) {
            const w = want[name]!;
            assert.deepEqual(got[name]!.shape, [...w.dims], `${file} ${name} shape`);
            const values = Array.from(w.data as ArrayLike<number | bigint>, Number);
            let worst = 0;
            for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(got[name]!.data[i]! - values[i]!) / (1 + Math.abs(values[i]!)));
            assert.ok(
              worst <= 1e-5,
              `${file} ${name} at ${JSON.stringify(Object.values(feeds)[0]!.shape)}: max |polychip − onnxruntime| / (1 + |onnxruntime|) = ${worst}`,
            );
          }
        }
      } finally {
        session.dispose();
        await reference.release();
      }
    });
  }
}

test("an int64 id that does not fit in int32 is an error naming the input, not a wrapped value", async () => {
  const session = await OnnxSession.create(model("encoder-opset17.onnx"), { device: "cpu" });
  try {
    const feeds = tokens(1, 4, 0);
    feeds.input_ids!.data[2] = 2n ** 40n;
    await assert.rejects(
      session.run(feeds as never),
      (err: Error) => err instanceof DTypeError && /input 'input_ids'.*1099511627776 at index 2/.test(err.message),
    );
  } finally {
    session.dispose();
  }
});

test("int64 feeds given as numbers with dtype 'int64' are taken as int32", async () => {
  const session = await OnnxSession.create(model("encoder-opset17.onnx"), { device: "cpu" });
  try {
    const big = tokens(1, 4, 0);
    const asNumbers = Object.fromEntries(
      Object.entries(big).map(([k, f]) => [k, { data: Array.from(f.data as BigInt64Array, Number), shape: f.shape, dtype: "int64" }]),
    );
    const a = await session.run(big as never);
    const b = await session.run(asNumbers as never);
    assert.deepEqual(Array.from(b.embedding!.data), Array.from(a.embedding!.data));
  } finally {
    session.dispose();
  }
});
