import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { test } from "node:test";
import "@polychip/devices";
import { DEFAULT_TOLERANCE, loadExpectations, runConformance } from "./conformance.ts";
import { compareValue, hostValue, readTestValue } from "./conformance/values.ts";
import { dataSets, tensorFiles } from "./conformance/discover.ts";
import { EXTRA_NODE_DEVICES, extraNodeExpectationsPath, extraNodeTests } from "./conformance/extra-node.ts";
import { decodeModel } from "./proto/codec.ts";
import type { ValueInfoProto } from "./proto/types.ts";
import { OnnxSession } from "./session.ts";

/**
 * ONNX's own backend node tests for the operators the shared corpus lacks (conformance/extra-node,
 * copied from onnx/onnx: see the README there), on cpu and on npu-sim (a plugin that falls back to
 * the cpu per op it lacks). Each must pass unless conformance/extra-node-<device>-expectations.json
 * lists it, and a listed test must end exactly as listed (skip or fail): one that passes now, or
 * ends otherwise, fails here. Regenerate with scripts/update-extra-node-expectations.ts.
 */
const paths = extraNodeTests();

test("the extra node tests are present", () => {
  assert.ok(paths.length >= 390, `only ${paths.length} tests found`);
});

for (const device of EXTRA_NODE_DEVICES) {
  const file = `conformance/${basename(extraNodeExpectationsPath(device))}`;
  const { expected } = await loadExpectations(extraNodeExpectationsPath(device));
  const summary = await runConformance(paths, { device });
  for (const result of summary.results) {
    const listed = expected[result.name];
    test(`${result.name} on ${device} ${listed ? `ends in ${listed.status}, as listed: ${listed.reason}` : "passes"}`, () => {
      const got = `${result.status}${result.status === "pass" ? "" : `: ${result.op ? `${result.op}: ` : ""}${result.reason ?? ""}`}`;
      if (listed) assert.equal(result.status, listed.status, `${result.name} was listed in ${file} as ${listed.status} but is now ${got}`);
      else assert.equal(result.status, "pass", `${result.name}: ${got}`);
    });
  }
}

/**
 * The plain runner freezes only the inputs a lowering reads itself, so it skips a test whose
 * function expansion computes a size (Range's limit, Pad's pads, ConstantOfShape's shape) from a
 * graph input through other ops. OnnxSession computes such values per run: every test the runner
 * skips on cpu must pass through it.
 */
async function runInSession(dir: string, name: string): Promise<void> {
  const bytes = new Uint8Array(await readFile(`${dir}/model.onnx`));
  const graph = decodeModel(bytes).graph!;
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  try {
    for (const set of await dataSets(dir)) {
      // Each file as the type the model declares (a tensor, a sequence, an optional).
      const read = async (f: string, v: ValueInfoProto | undefined) => readTestValue(new Uint8Array(await readFile(f)), v?.type, f);
      const inputs = await tensorFiles(set, "input");
      const feeds = Object.fromEntries(
        await Promise.all(inputs.map(async (f, i) => [graph.input![i]!.name!, hostValue(await read(f, graph.input![i]), f)] as const)),
      );
      const outputs = await session.runValues(feeds);
      for (const [i, f] of (await tensorFiles(set, "output")).entries()) {
        const out = graph.output![i]!;
        const cmp = compareValue(outputs[out.name!], await read(f, out), DEFAULT_TOLERANCE, `output ${i}`);
        assert.ok(cmp.ok, `${name} output ${i}: ${cmp.reason}`);
      }
    }
  } finally {
    session.dispose();
  }
}

const { expected: onCpu } = await loadExpectations(extraNodeExpectationsPath("cpu"));
for (const dir of paths.filter((p) => onCpu[basename(p)]?.status === "skip")) {
  test(`${basename(dir)} passes through OnnxSession, which computes the value the runner cannot`, async () => {
    await runInSession(dir, basename(dir));
  });
}
