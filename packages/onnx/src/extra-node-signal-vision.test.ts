import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import "@polychip/devices";
import { readFile } from "node:fs/promises";
import { compareTensors, DEFAULT_TOLERANCE, findTests, runTest, type TestCase } from "./conformance.ts";
import { dataSets, tensorFiles } from "./conformance/discover.ts";
import { decodeModel, decodeTensorProto } from "./proto/codec.ts";
import { OnnxSession } from "./session.ts";
import { tensorFromProto, tensorValues } from "./tensor.ts";

/**
 * ONNX's own backend node tests for the signal and vision ops (conformance/extra-node, copied
 * from onnx/onnx: see the README there), run on the cpu and on npu-sim (a plugin that falls back
 * to the cpu per op it lacks): each must pass, except those listed in SKIPPED with the reason,
 * which must still be skipped (a listed test that passes now fails here).
 */
const folder = fileURLToPath(new URL("../conformance/extra-node", import.meta.url));

const OPS =
  /^test_(dft|stft|hannwindow|hammingwindow|blackmanwindow|melweightmatrix|gridsample|nonmaxsuppression|roialign|affine_grid|col2im|center_crop_pad|maxunpool)/;

const RANGE_FROM_INPUT =
  "ONNX's function expansion computes Range's limit from the size graph input through run-time ops; the runner freezes only inputs a lowering reads itself (OnnxSession computes such values per run)";
const PADS_FROM_INPUT =
  "ONNX's function expansion computes Pad's pads from the shape graph input through run-time ops; the runner freezes only inputs a lowering reads itself (OnnxSession computes such values per run)";
/** Tests that do not run, by name, with why. */
const SKIPPED: Readonly<Record<string, string>> = {
  test_affine_grid_2d_expanded:
    "ONNX's function expansion reshapes theta by a shape computed from the size input, then splits that run-time dim into equal parts inside an If (Split needs the dim at import; OnnxSession fails the same way)",
  test_affine_grid_2d_align_corners_expanded: "as test_affine_grid_2d_expanded",
  test_affine_grid_3d_expanded:
    "ONNX's function expansion feeds ConstantOfShape a shape computed from the size input at run time; through OnnxSession the import then fails with a value of an inlined If produced twice (control-flow import, outside these ops)",
  test_affine_grid_3d_align_corners_expanded: "as test_affine_grid_3d_expanded",
  test_center_crop_pad_crop_expanded: PADS_FROM_INPUT,
  test_center_crop_pad_crop_and_pad_expanded: PADS_FROM_INPUT,
  test_center_crop_pad_crop_axes_chw_expanded: PADS_FROM_INPUT,
  test_center_crop_pad_crop_axes_hwc_expanded: PADS_FROM_INPUT,
  test_center_crop_pad_crop_negative_axes_hwc_expanded: PADS_FROM_INPUT,
  test_center_crop_pad_pad_expanded: PADS_FROM_INPUT,
  test_hannwindow_expanded: RANGE_FROM_INPUT,
  test_hannwindow_symmetric_expanded: RANGE_FROM_INPUT,
  test_hammingwindow_expanded: RANGE_FROM_INPUT,
  test_hammingwindow_symmetric_expanded: RANGE_FROM_INPUT,
  test_blackmanwindow_expanded: RANGE_FROM_INPUT,
  test_blackmanwindow_symmetric_expanded: RANGE_FROM_INPUT,
};

const tests = (await findTests([folder])).filter((t) => OPS.test(t.name));

test("the signal and vision node tests are all present", () => {
  assert.ok(tests.length >= 80, `found only ${tests.length} tests under ${folder}`);
});

/**
 * Tests whose expected values Polychip deliberately does not reproduce, with why: each must
 * still fail (so a change of mind is a conscious one).
 */
const DIVERGES: Readonly<Record<string, string>> = {
  test_maxunpool_export_with_output_shape:
    "ONNX's reference reads the indices in the unpooled shape and pads up to output_shape; Polychip, like PyTorch and onnxruntime, reads them in output_shape (the MaxPool input they come from)",
};

for (const device of ["cpu", "npu-sim"]) {
  for (const t of tests) {
    const why = SKIPPED[t.name];
    const diverges = DIVERGES[t.name];
    test(`${t.name} on ${device} ${why ? "is skipped" : diverges ? "differs from ONNX's reference, on purpose" : "passes"}`, async () => {
      const result = await runTest(t, { device });
      if (diverges)
        assert.equal(result.status, "fail", `${t.name} was listed as diverging (${diverges}) but ${result.status === "pass" ? "passes now" : "was skipped"}`);
      else if (why)
        assert.equal(
          result.status,
          "skip",
          `${t.name} was listed as skipped (${why}) but ${result.status === "pass" ? "passes now: remove it from SKIPPED" : `failed: ${result.reason}`}`,
        );
      else assert.equal(result.status, "pass", `${t.name}: ${result.status}: ${result.op ? `${result.op}: ` : ""}${result.reason ?? ""}`);
    });
  }
}

/** Runs a node test through OnnxSession, which computes the values a lowering needs per run. */
async function runInSession(t: TestCase): Promise<void> {
  const bytes = new Uint8Array(await readFile(`${t.dir}/model.onnx`));
  const names = (decodeModel(bytes).graph?.input ?? []).map((v) => v.name ?? "");
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  try {
    for (const set of await dataSets(t.dir)) {
      const read = async (f: string) => decodeTensorProto(new Uint8Array(await readFile(f)));
      const inputs = await Promise.all((await tensorFiles(set, "input")).map(read));
      const feeds = Object.fromEntries(inputs.map((p, i) => [names[i]!, tensorFromProto(p, `${set}/input_${i}.pb`, { clampInt: true })]));
      const outputs = Object.values(await session.run(feeds));
      const expected = await Promise.all((await tensorFiles(set, "output")).map(read));
      expected.forEach((e, i) => {
        const cmp = compareTensors(outputs[i]!, tensorValues(e, `output_${i}`), DEFAULT_TOLERANCE);
        assert.ok(cmp.ok, `${t.name} output ${i}: ${cmp.reason}`);
      });
    }
  } finally {
    session.dispose();
  }
}

for (const t of tests.filter((t) => SKIPPED[t.name] === RANGE_FROM_INPUT || SKIPPED[t.name] === PADS_FROM_INPUT)) {
  test(`${t.name} passes through OnnxSession, which computes the value the runner cannot`, async () => {
    await runInSession(t);
  });
}
