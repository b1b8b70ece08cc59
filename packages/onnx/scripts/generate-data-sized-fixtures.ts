/**
 * Writes fixtures/data-sized-onnxruntime.json: onnxruntime-node's outputs for every case in
 * src/testing/data-sized-cases.ts (models whose result sizes depend on the data), which
 * src/data-sized.test.ts compares with OnnxSession's. Run: node --import tsx scripts/generate-data-sized-fixtures.ts
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";
import { DATA_SIZED_CASES } from "../src/testing/data-sized-cases.ts";

const target = fileURLToPath(new URL("../fixtures/data-sized-onnxruntime.json", import.meta.url));
const lines: string[] = [];
for (const c of DATA_SIZED_CASES) {
  const session = await ort.InferenceSession.create(c.model);
  const feeds = Object.fromEntries(Object.entries(c.inputs).map(([name, v]) => [name, new ort.Tensor("float32", v.data, [...v.shape])]));
  const got = await session.run(feeds);
  const outputs: Record<string, { shape: number[]; values: number[] }> = {};
  for (const name of session.outputNames)
    outputs[name] = { shape: [...got[name]!.dims], values: Array.from(got[name]!.data as ArrayLike<number | bigint>, Number) };
  lines.push(`    ${JSON.stringify(c.name)}: ${JSON.stringify(outputs)}`);
  await session.release();
}
const source = `onnxruntime-node ${ort.env.versions.common} (CPU execution provider)`;
// One line per case, so a regenerated fixture diffs case by case.
writeFileSync(target, `{\n  "source": ${JSON.stringify(source)},\n  "outputs": {\n${lines.join(",\n")}\n  }\n}\n`);
console.log(`${DATA_SIZED_CASES.length} cases; wrote ${target}`);
