import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository's root (this file is packages/onnx/src/conformance/corpus.ts). */
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * Where the shared ONNX backend-test corpus lives: POLYCHIP_ONNX_CORPUS, else
 * ../shared/conformance/onnx-node beside the repository. Undefined when absent (the project
 * installs and tests without it).
 */
export function sharedCorpusPath(): string | undefined {
  const path = process.env.POLYCHIP_ONNX_CORPUS ?? `${REPO_ROOT}../shared/conformance/onnx-node`;
  return existsSync(path) ? path : undefined;
}

/** The committed expectations file for the CPU device. */
export const CPU_EXPECTATIONS = fileURLToPath(new URL("../../conformance/cpu-expectations.json", import.meta.url));
