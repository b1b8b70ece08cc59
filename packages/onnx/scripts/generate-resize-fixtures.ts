/**
 * Writes fixtures/resize-onnxruntime.json: onnxruntime-node's float32 outputs (as base64 of the
 * little-endian bytes) for every case in src/testing/resize-cases.ts, which the Resize test
 * compares bit for bit. Run: node --import tsx scripts/generate-resize-fixtures.ts
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";
import { RESIZE_CASES, resizeCaseInput, resizeCaseModel } from "../src/testing/resize-cases.ts";

const target = fileURLToPath(new URL("../fixtures/resize-onnxruntime.json", import.meta.url));
const outputs: Record<string, { shape: number[]; y: string }> = {};
for (const c of RESIZE_CASES) {
  const session = await ort.InferenceSession.create(resizeCaseModel(c));
  const { y } = await session.run({ x: new ort.Tensor("float32", resizeCaseInput(c), [...c.shape]) });
  const data = y!.data as Float32Array;
  outputs[c.name] = { shape: [...y!.dims], y: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64") };
  await session.release();
}
const file = { source: `onnxruntime-node ${ort.env.versions.common} (CPU execution provider)`, outputs };
// One line per case, so a regenerated fixture diffs case by case.
const lines = Object.entries(outputs).map(([name, o]) => `    ${JSON.stringify(name)}: ${JSON.stringify(o)}`);
writeFileSync(target, `{\n  "source": ${JSON.stringify(file.source)},\n  "outputs": {\n${lines.join(",\n")}\n  }\n}\n`);
console.log(`${RESIZE_CASES.length} cases; wrote ${target}`);
