import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** conformance/extra-node: ONNX's backend node tests for operators the shared corpus lacks. */
export const EXTRA_NODE_FOLDER = fileURLToPath(new URL("../../conformance/extra-node", import.meta.url));

/** The committed list of extra-node tests that do not pass on cpu, with their reasons. */
export const EXTRA_NODE_CPU_EXPECTATIONS = fileURLToPath(new URL("../../conformance/extra-node-cpu-expectations.json", import.meta.url));

/** The tests of the operators added with them (Einsum … Unique, TensorScatter, Scatter, the two losses); other suites share the folder. */
const OPS =
  /^test_(einsum|tril|triu|onehot|eyelike|attention|rotary_embedding|compress|lpnormalization|lppool|globallppool|mvn|shrink|reversesequence|bitwise|bitshift|det|unique|tensorscatter|scatter_with|nllloss|sce_)/;

/** Paths of those tests, sorted by name. */
export function extraNodeTests(): string[] {
  return readdirSync(EXTRA_NODE_FOLDER, { withFileTypes: true })
    .filter((e) => e.isDirectory() && OPS.test(e.name))
    .map((e) => join(EXTRA_NODE_FOLDER, e.name))
    .sort();
}
