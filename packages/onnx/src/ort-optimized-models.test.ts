import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { decodeTensorProto } from "./proto/codec.ts";
import { readOnnxModel } from "./read-model.ts";
import { OnnxSession } from "./session.ts";
import { tensorFromProto } from "./tensor.ts";
import { ort } from "./testing/onnxruntime.ts";
import { opCounts, saveOptimized } from "./testing/ort-optimize.ts";
import { qdqChainModel } from "./testing/qdq-chain-model.ts";
import { noise, tokens, type Feed } from "./testing/pytorch-feeds.ts";

/**
 * Committed models optimised by onnxruntime-node at test time (level "extended", which writes its
 * fused com.microsoft operators): Polychip runs the optimised file and must match onnxruntime-node
 * on the original (rtol 1e-3, atol 1e-4), on cpu, npu-sim and webgpu. The models have trained or random weights, so their
 * outputs vary (the light-model corpus's constant weights give constant outputs that any
 * activation would match; scripts/ort-optimize-corpus.ts --check runs those too). A QDQ model
 * built here stands for the statically quantised exports whose QDQ groups onnxruntime fuses.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const webgpu: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));
const RTOL = 1e-3;
const ATOL = 1e-4;
const PACKAGE = new URL("..", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "polychip-ort-optimized-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A conformance folder's test_data_set_0 inputs (float32). */
function dataSet(dir: string, names: string[]): Record<string, Feed> {
  return Object.fromEntries(
    names.map((name, i) => {
      const t = tensorFromProto(decodeTensorProto(new Uint8Array(readFileSync(join(PACKAGE, dir, "test_data_set_0", `input_${i}.pb`)))), name);
      assert.equal(t.dtype, "float32", `${dir}: input ${name} is ${t.dtype}`);
      return [name, { data: t.data as Float32Array, shape: [...t.shape] }];
    }),
  );
}

const MODELS: { file: string; fused: string[]; feeds: () => Record<string, Feed>; level?: "extended" | "all" }[] = [
  { file: "fixtures/pytorch/unet.onnx", fused: ["com.microsoft:FusedConv"], feeds: () => ({ x: { data: noise(2 * 3 * 32 * 48, 3), shape: [2, 3, 32, 48] } }) },
  {
    file: "fixtures/pytorch/video-cnn.onnx",
    fused: ["com.microsoft:FusedConv"],
    feeds: () => ({ clip: { data: noise(2 * 3 * 8 * 16 * 16, 5), shape: [2, 3, 8, 16, 16] } }),
  },
  { file: "fixtures/pytorch/encoder-opset11.onnx", fused: ["com.microsoft:FusedMatMul", "com.microsoft:Gelu"], feeds: () => tokens(2, 9, 3) },
  {
    file: "conformance/burn-onnx-cases/test_burn_simplify_simplify_sdpa_coalesce/model.onnx",
    fused: ["com.microsoft:FusedMatMul"],
    feeds: () => dataSet("conformance/burn-onnx-cases/test_burn_simplify_simplify_sdpa_coalesce", ["q", "k", "v"]),
  },
  ...(["extended", "all"] as const).map((level) => ({
    file: "qdq-chain (testing/qdq-chain-model.ts)",
    level,
    fused: [
      "com.microsoft:QLinearWhere",
      "com.microsoft:QLinearSoftmax",
      ...(level === "all" ? ["com.microsoft:QLinearConv", "com.microsoft:NhwcMaxPool"] : ["ai.onnx:QLinearConv"]),
    ],
    feeds: () => ({ x: { data: Float32Array.from({ length: 256 }, (_, i) => Math.sin(i * 0.37) * 3), shape: [1, 4, 8, 8] } }),
  })),
];

const built = join(scratch, "qdq-chain.onnx");
writeFileSync(built, qdqChainModel());

for (const m of MODELS) {
  for (const device of ["cpu", "npu-sim", "webgpu"]) {
    test(`${m.file} optimised by onnxruntime at ${m.level ?? "extended"} (${m.fused.join(", ")}) runs on ${device} like onnxruntime on the original`, {
      skip: skip || (device === "webgpu" ? webgpu : false),
      timeout: 300_000,
    }, async () => {
      const original = m.file.startsWith("qdq-chain") ? built : join(PACKAGE, m.file);
      const saved = join(scratch, device, m.level ?? "extended", basename(original));
      await saveOptimized(ort!, original, m.level ?? "extended", saved);
      const ops = opCounts(readOnnxModel(saved));
      for (const op of m.fused) assert.ok(ops.has(op), `onnxruntime wrote no ${op} (it wrote ${[...ops.keys()].join(", ")})`);
      const feeds = m.feeds();
      const reference = await ort!.InferenceSession.create(original);
      const session = await OnnxSession.create(readOnnxModel(saved), { device });
      try {
        const want = await reference.run(
          Object.fromEntries(
            Object.entries(feeds).map(([k, f]) => [k, new ort!.Tensor(f.data instanceof BigInt64Array ? "int64" : "float32", f.data, f.shape)]),
          ),
        );
        const got = await session.run(feeds as never);
        for (const name of reference.outputNames) {
          const w = want[name]!.data as Float32Array;
          assert.deepEqual(got[name]!.shape, [...want[name]!.dims], `${name} shape`);
          assert.ok(new Set(w).size > 1, `${name}: onnxruntime's output is constant, so the comparison would prove little`);
          let worst = 0;
          for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got[name]!.data[i]! - w[i]!) - RTOL * Math.abs(w[i]!));
          assert.ok(worst <= ATOL, `${name}: |polychip − onnxruntime| exceeds atol ${ATOL} + rtol ${RTOL}·|expected| by ${worst}`);
        }
      } finally {
        session.dispose();
        await reference.release();
      }
    });
  }
}
