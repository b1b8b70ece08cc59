import assert from "node:assert/strict";
import { test } from "node:test";
import { HAL_VERSION, HalVersionError, UnsupportedOpError, type KernelRegistration } from "@polychip/hal";
import { cpuPlugin } from "@polychip/device-cpu";
import { loadValues, storeValues, type HostBuffer } from "../index.ts";
import { binaryKernel, hostPlugin, wrongAddPlugin } from "./fixtures/host-plugin.ts";
import { committedFigure, inRepo } from "./fixtures/committed-figures.ts";
import { runConformance } from "./run-conformance.ts";

const sub = binaryKernel((a, b) => a - b);

test("the kit passes on the CPU reference device itself, with nothing missing", async () => {
  const report = await runConformance(cpuPlugin);
  assert.equal(report.failed, 0);
  assert.equal(report.missing, 0);
  assert.ok(report.passed > 200, `${report.passed} cells passed`);
  assert.equal(report.output.split("\n").at(-1), `${report.passed} passed, 0 failed, 0 missing`);
  assert.ok(report.ok);
  if (inRepo)
    assert.equal(
      report.summary,
      committedFigure("cpu").summary,
      "the guide's figure: regenerate with node --import tsx packages/plugin-sdk/scripts/kit-figures.ts",
    );
});

test("a plugin whose add returns a - b fails on exactly add, at every dtype it declares", async () => {
  const report = await runConformance(wrongAddPlugin);
  const failedCells = report.cells.filter((c) => c.status === "fail").map((c) => `${c.op}/${c.dtype}`);
  assert.deepEqual(failedCells, ["add/float32", "add/int32"]);
  assert.deepEqual(new Set(report.records.filter((r) => r.status === "fail").map((r) => r.op)), new Set(["add"]));
  assert.deepEqual(
    report.cells
      .filter((c) => c.status === "pass")
      .map((c) => c.op)
      .sort(),
    ["mul", "mul", "sub", "sub"],
  );
  assert.equal(report.ok, false);
  assert.match(report.output, /\nadd +FAIL \(\S+\) +FAIL \(\S+\)\n/);
});

test("ops without a kernel are reported missing (falls back), not failed", async () => {
  const report = await runConformance(hostPlugin("only-sub", { sub }), { ops: ["sub", "exp", "matmul"] });
  assert.deepEqual(
    report.cells.map((c) => `${c.op}/${c.dtype}:${c.status}`),
    ["sub/float32:pass", "sub/int32:pass", "exp/float32:missing", "matmul/float32:missing", "matmul/int32:missing"],
  );
  assert.equal(report.summary, "2 passed, 0 failed, 3 missing");
  assert.ok(report.ok);
});

test("a kernel that throws fails its cell with the error message", async () => {
  const report = await runConformance(
    hostPlugin(
      "throws",
      {
        sub: () => {
          throw new Error("driver exploded");
        },
      },
      ["float32"],
    ),
    { ops: ["sub"] },
  );
  assert.equal(report.failed, 1);
  assert.match(report.records[0]!.message!, /KernelError: throws: kernel sub\(float32\[3, 4\], float32\[3, 4\]\) -> float32\[3, 4\] failed: driver exploded/);
});

test("a kernel that writes into its input fails", async () => {
  const clobber = (call: Parameters<typeof sub>[0], device: Parameters<typeof sub>[1]) => {
    sub(call, device);
    storeValues(call.inputs[0]!, new Float64Array(loadValues(call.inputs[0]!).length));
  };
  const report = await runConformance(hostPlugin("clobber", { sub: clobber }, ["float32"]), { ops: ["sub"] });
  assert.equal(report.failed, 1);
  assert.ok(report.records.some((r) => /wrote into input 0/.test(r.message ?? "")));
});

test("a copy kernel that ignores the destination's strides fails on the strided-destination cases only", async () => {
  const contiguousCopy = ({
    inputs: [x],
    outputs: [y],
  }: { inputs: readonly { buffer: HostBuffer }[]; outputs: readonly { buffer: HostBuffer }[] } & Parameters<typeof sub>[0]) => {
    const values = loadValues(x!);
    storeValues({ ...y!, strides: y!.shape.map((_, i) => y!.shape.slice(i + 1).reduce((a, b) => a * b, 1)), offset: 0 }, values);
  };
  const report = await runConformance(hostPlugin("bad-copy", { copy: contiguousCopy }, ["float32"]), { ops: ["copy"] });
  const failed = report.records.filter((r) => r.status === "fail").map((r) => r.case);
  assert.deepEqual(failed, ["into a strided destination [3, 4]", "transposed source into a strided destination [2, 3, 4]"]);
});

test("--ops restricts the run, and an op the HAL does not define is refused", async () => {
  const report = await runConformance(wrongAddPlugin, { ops: ["sub"] });
  assert.deepEqual([...new Set(report.cells.map((c) => c.op))], ["sub"]);
  await assert.rejects(runConformance(wrongAddPlugin, { ops: ["subtract"] }), UnsupportedOpError);
});

test("a plugin built for another HAL major version is refused, naming both versions", async () => {
  await assert.rejects(
    runConformance(hostPlugin("old", { sub }, ["float32"], "0.9.0")),
    (err: unknown) => err instanceof HalVersionError && new RegExp(`HAL 0\\.9\\.0.*HAL ${HAL_VERSION.replace(/\./g, "\\.")}`).test((err as Error).message),
  );
});

test("json output is one document with a record per case and the summary", async () => {
  const report = await runConformance(wrongAddPlugin, { ops: ["add", "sub"], json: true });
  const doc = JSON.parse(report.output) as { summary: string; records: { op: string; status: string; maxError: number | null }[] };
  assert.equal(doc.summary, "2 passed, 2 failed, 0 missing");
  assert.equal(doc.records.length, report.records.length);
  assert.ok(doc.records.some((r) => r.op === "add" && r.status === "fail" && typeof r.maxError === "number"));
});

test("kernels registered for ops the HAL does not define are ignored with a note", async () => {
  const plugin = hostPlugin("extra", { sub }, ["float32"]);
  const withExtra = { ...plugin, kernels: [...plugin.kernels, { ...(plugin.kernels[0] as KernelRegistration), op: "quantizeLinear9" }] };
  const report = await runConformance(withExtra, { ops: ["sub"] });
  assert.ok(report.notes.some((n) => /quantizeLinear9/.test(n)));
  assert.equal(report.failed, 0);
});

test("a plugin with a kernel registered under 'cpu' is refused before any case runs, naming the plugin and both devices", async () => {
  const plugin = hostPlugin("acme", { sub });
  const hijack = { ...plugin, kernels: [...plugin.kernels, { ...plugin.kernels[0]!, device: "cpu", op: "add" }] };
  await assert.rejects(
    runConformance(hijack, { ops: ["sub"] }),
    /plugin 'acme' may register kernels only for its own device 'acme', but its kernel #1 \('add'\) is registered for device 'cpu'/,
  );
});

test("a 2-D matmul that ignores view.offset fails the offset case", async () => {
  const ignoresOffset = ({ inputs: [a, b], outputs: [y] }: Parameters<typeof sub>[0]) => {
    const [M, K] = a!.shape as [number, number];
    const N = b!.shape[1]!;
    const A = loadValues({ ...a!, offset: 0 });
    const B = loadValues({ ...b!, offset: 0 });
    const out = new Float64Array(M * N);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) out[i * N + j] += A[i * K + k]! * B[k * N + j]!;
    storeValues(y!, out);
  };
  const report = await runConformance(hostPlugin("no-offset", { matmul: ignoresOffset as never }, ["float32"]), { ops: ["matmul"] });
  const failed = report.records.filter((r) => r.status === "fail").map((r) => r.case);
  assert.ok(failed.includes("[2, 3] @ [3, 4], inputs at an offset in their buffers"), JSON.stringify(failed));
  assert.ok(
    failed.every((c) => /offset|batched|transpose/.test(c)),
    JSON.stringify(failed),
  );
});

test("a composite without a kernel is reported as decomposed on the device, a primitive as falling back to the CPU", async () => {
  const report = await runConformance(hostPlugin("only-sub", { sub }, ["float32"]), { ops: ["exp", "softmax"] });
  assert.deepEqual(
    report.cells.map((c) => `${c.op}/${c.dtype}:${c.status}`),
    ["exp/float32:missing", "softmax/float32:decomposed"],
  );
  assert.equal(report.summary, "0 passed, 0 failed, 1 missing, 1 decomposed on the device");
  assert.match(report.output, /\nsoftmax +decomposed\n/);
  assert.match(report.records.find((r) => r.op === "softmax")!.message!, /the HAL's decomposition runs on the device/);
});
