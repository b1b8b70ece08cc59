import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { test } from "node:test";
import "@polychip/devices";
import { compareTensors, DEFAULT_TOLERANCE, loadExpectations, runConformance } from "./conformance.ts";
import { dataSets, tensorFiles } from "./conformance/discover.ts";
import { EXTRA_NODE_DEVICES, extraNodeExpectationsPath, extraNodeTests } from "./conformance/extra-node.ts";
import { decodeModel, decodeTensorProto } from "./proto/codec.ts";
import { OnnxSession } from "./session.ts";
import { tensorFromProto, tensorValues } from "./tensor.ts";

/**
 * ONNX's own backend node tests for the operators the shared corpus lacks (conformance/extra-node,
 * copied from onnx/onnx: see the README there), on cpu and on npu-sim (a plugin that falls back to
 * the cpu per op it lacks). Each must pass unless conformance/extra-node-<device>-expectations.json
 * lists it, and a listed test must end exactly as listed (skip or fail): one that passes now, or
 * ends otherwise, fails here. Regenerate with scripts/update-extra-node-expectations.ts.
 */
const paths = extraNodeTests();

test("the extra node tests are present", () => {
  assert.ok(paths.length >= 1250, `only ${paths.length} tests found`);
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
 * skips on cpu for such a value (a RunTimeValueError, or a shape only a run gives) must pass through it.
 */
async function runInSession(dir: string, name: string): Promise<void> {
  const bytes = new Uint8Array(await readFile(`${dir}/model.onnx`));
  const names = (decodeModel(bytes).graph?.input ?? []).map((v) => v.name ?? "");
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  try {
    for (const set of await dataSets(dir)) {
      const read = async (f: string) => decodeTensorProto(new Uint8Array(await readFile(f)));
      const inputs = await Promise.all((await tensorFiles(set, "input")).map(read));
      const feeds = Object.fromEntries(inputs.map((p, i) => [names[i]!, tensorFromProto(p, `${set}/input_${i}.pb`, { clampInt: true })]));
      const outputs = Object.values(await session.run(feeds));
      const want = await Promise.all((await tensorFiles(set, "output")).map(read));
      want.forEach((e, i) => {
        const cmp = compareTensors(outputs[i]!, tensorValues(e, `output_${i}`), DEFAULT_TOLERANCE);
        assert.ok(cmp.ok, `${name} output ${i}: ${cmp.reason}`);
      });
    }
  } finally {
    session.dispose();
  }
}

/** Tests OnnxSession computes the run-time value of, but which then need what Polychip lacks. */
const SESSION_REFUSALS: Readonly<Record<string, RegExp>> = {
  test_range_bfloat16_type_positive_delta_expanded: /casting to BFLOAT16 is not supported/,
};

const { expected: onCpu } = await loadExpectations(extraNodeExpectationsPath("cpu"));
const computedPerRun = (name: string) => onCpu[name]?.status === "skip" && /RunTimeValueError|static shape/.test(onCpu[name]!.reason);
for (const dir of paths.filter((p) => computedPerRun(basename(p)))) {
  const refusal = SESSION_REFUSALS[basename(dir)];
  if (refusal) {
    test(`${basename(dir)} gets past its run-time value in OnnxSession, then stops at ${refusal}`, async () => {
      await assert.rejects(runInSession(dir, basename(dir)), refusal);
    });
    continue;
  }
  test(`${basename(dir)} passes through OnnxSession, which computes the value the runner cannot`, async () => {
    await runInSession(dir, basename(dir));
  });
}
