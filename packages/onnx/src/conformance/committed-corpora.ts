import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A corpus of ONNX tests committed under conformance/<name>, run in CI on `devices`, with a
 * committed list per device of the tests that do not pass (conformance/<name>-<device>-expectations.json).
 */
export interface CommittedCorpus {
  readonly name: string;
  /** What the tests are, as the expectation files name them. */
  readonly description: string;
  readonly devices: readonly string[];
  /** Fewer tests than this found means the folder is damaged, not that the corpus shrank. */
  readonly minimum: number;
  readonly folder: string;
  expectationsPath(device: string): string;
  /** Paths of every test folder (test_* with model.onnx), sorted by path. */
  tests(): string[];
}

function committedCorpus(name: string, description: string, minimum: number, devices: readonly string[] = ["cpu", "npu-sim"]): CommittedCorpus {
  const folder = fileURLToPath(new URL(`../../conformance/${name}`, import.meta.url));
  return {
    name,
    description,
    devices,
    minimum,
    folder,
    expectationsPath: (device) => fileURLToPath(new URL(`../../conformance/${name}-${device}-expectations.json`, import.meta.url)),
    tests: () => testFolders(folder).sort(),
  };
}

/** test_* folders directly in `dir` or one group folder down (onnx-models/<group>/test_*). */
function testFolders(dir: string, depth = 0): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => (e.name.startsWith("test_") ? [join(dir, e.name)] : depth === 0 ? testFolders(join(dir, e.name), 1) : []));
}

/** conformance/extra-node: ONNX's backend node tests for the operators the shared corpus lacks. */
export const EXTRA_NODE = committedCorpus("extra-node", "packages/onnx/conformance/extra-node (ONNX backend node tests)", 1250);

/** conformance/onnx-models: ONNX's backend model tests (PyTorch-converted modules and operator programs, the simple models). */
export const ONNX_MODEL_TESTS = committedCorpus("onnx-models", "packages/onnx/conformance/onnx-models (ONNX backend model tests)", 140);

/**
 * conformance/onnx-light-models: ONNX's light vision models (AlexNet … VGG-19 at 224×224), on the cpu
 * only: npu-sim simulates them too (all pass) but takes about ten minutes for the nine.
 */
export const ONNX_LIGHT_MODELS = committedCorpus("onnx-light-models", "packages/onnx/conformance/onnx-light-models (ONNX light models)", 9, ["cpu"]);

/** conformance/tract-cases: the ONNX test cases of another runtime, tract (scripts/import-tract-cases.ts). */
export const TRACT_CASES = committedCorpus("tract-cases", "packages/onnx/conformance/tract-cases (tract's ONNX test cases)", 14);

/** conformance/burn-onnx-cases: burn-onnx's test models with onnxruntime-node's outputs (scripts/import-burn-onnx-cases.ts). */
export const BURN_ONNX_CASES = committedCorpus("burn-onnx-cases", "packages/onnx/conformance/burn-onnx-cases (burn-onnx's test models)", 420);

export const COMMITTED_CORPORA = [EXTRA_NODE, ONNX_MODEL_TESTS, ONNX_LIGHT_MODELS, TRACT_CASES, BURN_ONNX_CASES] as const;
