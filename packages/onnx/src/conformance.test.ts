import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { checkExpectations, compareTensors, findTests, formatOpSummary, formatResult, formatSummary, runConformance } from "./conformance.ts";
import { encodeTensorProto } from "./proto/codec.ts";
import { DataType, type TensorProto } from "./proto/types.ts";
import { buildModel, initializer } from "./testing/model-builder.ts";

const root = mkdtempSync(join(tmpdir(), "polychip-conformance-"));
after(() => rmSync(root, { recursive: true, force: true }));

function writeTest(dir: string, model: Uint8Array, inputs: TensorProto[], outputs: TensorProto[]): string {
  const set = join(root, dir, "test_data_set_0");
  mkdirSync(set, { recursive: true });
  writeFileSync(join(root, dir, "model.onnx"), model);
  inputs.forEach((t, i) => writeFileSync(join(set, `input_${i}.pb`), encodeTensorProto(t)));
  outputs.forEach((t, i) => writeFileSync(join(set, `output_${i}.pb`), encodeTensorProto(t)));
  return join(root, dir);
}

const reluModel = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: [3] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [{ op: "Relu", inputs: ["x"], outputs: ["y"] }],
});
const x = initializer("x", [-1, 0, 2], [3]);
writeTest("suite/test_relu_ok", reluModel, [x], [initializer("y", [0, 0, 2], [3])]);
writeTest("suite/nested/test_relu_wrong", reluModel, [x], [initializer("y", [0, 0, 2.5], [3])]);
writeTest(
  "suite/test_unknown",
  buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Hardmax2000", inputs: ["x"], outputs: ["y"] }],
  }),
  [x],
  [x],
);
// ArgMax gives int64 in ONNX and int32 in Polychip: equal values pass.
writeTest(
  "suite/test_argmax_int64",
  buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [3] }],
    outputs: [{ name: "y", type: "int64" }],
    nodes: [{ op: "ArgMax", inputs: ["x"], outputs: ["y"], attrs: { keepdims: 0 } }],
  }),
  [x],
  [initializer("y", [2], [], "int64")],
);

test("findTests walks folders recursively and treats a folder with model.onnx as one test", async () => {
  const tests = await findTests([join(root, "suite")]);
  assert.deepEqual(tests.map((t) => t.name).sort(), ["test_argmax_int64", "test_relu_ok", "test_relu_wrong", "test_unknown"]);
  assert.deepEqual(
    (await findTests([join(root, "suite", "test_relu_ok")])).map((t) => t.name),
    ["test_relu_ok"],
  );
});

test("runConformance reports pass, fail with the max abs error, and skip with the unsupported op", async () => {
  const summary = await runConformance([join(root, "suite")], { device: "cpu" });
  const by = Object.fromEntries(summary.results.map((r) => [r.name, r]));
  assert.equal(by.test_relu_ok!.status, "pass");
  assert.equal(by.test_argmax_int64!.status, "pass");
  assert.equal(by.test_relu_wrong!.status, "fail");
  assert.equal(by.test_relu_wrong!.maxAbsError, 0.5);
  assert.equal(by.test_unknown!.status, "skip");
  assert.equal(by.test_unknown!.op, "Hardmax2000");
  assert.equal(formatSummary(summary), "2 passed, 1 failed, 1 skipped");
  assert.match(formatResult(by.test_relu_wrong!), /^FAIL {2}test_relu_wrong {2}max abs error 5\.000e-1/);
  assert.match(formatResult(by.test_unknown!), /^skip {2}test_unknown {2}unsupported Hardmax2000/);
});

test("wider tolerances turn a small error into a pass", async () => {
  const summary = await runConformance([join(root, "suite", "nested")], { device: "cpu", atol: 0.6 });
  assert.equal(summary.passed, 1);
});

test("compareTensors: |got − exp| ≤ atol + rtol·|exp|, NaN matches NaN, shape and dtype must match", () => {
  const tol = { rtol: 1e-3, atol: 1e-5 };
  const exp = (values: number[], dataType: number = DataType.FLOAT, dims = [values.length]) => ({ dataType, dims, values });
  assert.equal(compareTensors({ dtype: "float32", shape: [2], data: [1000.9, NaN] }, exp([1000, NaN]), tol).ok, true);
  assert.equal(compareTensors({ dtype: "float32", shape: [1], data: [1.1] }, exp([1]), tol).ok, false);
  assert.equal(compareTensors({ dtype: "float32", shape: [1], data: [Infinity] }, exp([Infinity]), tol).ok, true);
  assert.equal(compareTensors({ dtype: "float32", shape: [1], data: [-Infinity] }, exp([Infinity]), tol).ok, false);
  assert.match(compareTensors({ dtype: "float32", shape: [1, 2], data: [1, 2] }, exp([1, 2]), tol).reason!, /shape/);
  assert.match(compareTensors({ dtype: "int32", shape: [1], data: [1] }, exp([1]), tol).reason!, /dtype/);
  assert.equal(compareTensors({ dtype: "int32", shape: [1], data: [7] }, exp([7], DataType.INT64), tol).ok, true);
});

test("checkExpectations flags unlisted failures and listed tests that pass", () => {
  const r = (name: string, status: "pass" | "fail" | "skip") => ({ name, dir: name, status, ms: 0 });
  const report = checkExpectations([r("a", "fail"), r("b", "pass"), r("c", "skip")], {
    device: "cpu",
    expected: { b: { status: "fail", reason: "old" }, c: { status: "skip", reason: "no op" } },
  });
  assert.deepEqual(
    report.unexpected.map((x) => x.name),
    ["a"],
  );
  assert.deepEqual(report.stale, ["b"]);
  assert.equal(report.ok, false);
});

test("findTests follows symbolic links to test folders and to folders of tests", async () => {
  const links = join(root, "links");
  mkdirSync(links, { recursive: true });
  symlinkSync(join(root, "suite", "test_relu_ok"), join(links, "test_relu_linked"), "dir");
  symlinkSync(join(root, "suite", "nested"), join(links, "nested_linked"), "dir");
  const tests = await findTests([links]);
  assert.deepEqual(tests.map((t) => t.name).sort(), ["test_relu_linked", "test_relu_wrong"]);
});

test("a selection with no tests is an error naming the paths", async () => {
  const empty = join(root, "empty");
  mkdirSync(join(empty, "sub"), { recursive: true });
  await assert.rejects(runConformance([empty], { device: "cpu" }), (err: Error) => /no tests found in .*empty/.test(err.message));
});

test("the per-op summary counts pass, fail and skip by ONNX op type", async () => {
  const summary = await runConformance([join(root, "suite")], { device: "cpu" });
  const lines = formatOpSummary(summary.results);
  assert.ok(
    lines.some((l) => /^Relu +1 passed, 1 failed, 0 skipped$/.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /^ArgMax +1 passed, 0 failed, 0 skipped$/.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /^Hardmax2000 +0 passed, 0 failed, 1 skipped$/.test(l)),
    lines.join("\n"),
  );
});

test("a test whose import needs a value computed from its inputs runs through OnnxSession, per data set", async () => {
  // y = Range(0, sum(x), 1): the plain import cannot know the limit; each data set has its own.
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "ReduceSum", inputs: ["x"], outputs: ["limit"], attrs: { keepdims: 0 } },
      { op: "Range", inputs: ["zero", "limit", "one"], outputs: ["y"] },
    ],
    initializers: [initializer("zero", [0], []), initializer("one", [1], [])],
  });
  const dir = writeTest("computed/test_range_of_sum", model, [initializer("x", [1, 2], [2])], [initializer("y", [0, 1, 2], [3])]);
  const second = join(dir, "test_data_set_1");
  mkdirSync(second);
  writeFileSync(join(second, "input_0.pb"), encodeTensorProto(initializer("x", [4, 1.5], [2])));
  writeFileSync(join(second, "output_0.pb"), encodeTensorProto(initializer("y", [0, 1, 2, 3, 4, 5], [6])));
  const [result] = (await runConformance([dir], { device: "cpu" })).results;
  assert.equal(result!.status, "pass", result!.reason);
  assert.deepEqual(result!.runTimeValues, ["limit"]);
  assert.equal(result!.frozenInputs, undefined);
});
