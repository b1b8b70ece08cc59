import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** conformance/extra-node: ONNX's backend node tests for operators the shared corpus lacks. */
export const EXTRA_NODE_FOLDER = fileURLToPath(new URL("../../conformance/extra-node", import.meta.url));

/** The devices the extra node tests run on in CI (npu-sim also checks its per-op fallback). */
export const EXTRA_NODE_DEVICES = ["cpu", "npu-sim"] as const;

/** The committed list of extra-node tests that do not pass on a device, with their status and reason. */
export function extraNodeExpectationsPath(device: string): string {
  return fileURLToPath(new URL(`../../conformance/extra-node-${device}-expectations.json`, import.meta.url));
}

/** Paths of every test folder in conformance/extra-node, sorted by name. */
export function extraNodeTests(): string[] {
  return readdirSync(EXTRA_NODE_FOLDER, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith("test_"))
    .map((e) => join(EXTRA_NODE_FOLDER, e.name))
    .sort();
}
