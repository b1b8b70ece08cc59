import assert from "node:assert/strict";
import { test } from "node:test";
import { findKernel, getDeviceEntry } from "../core/devices.ts";
import { setLazyRecorder } from "../core/lazy-hook.ts";
import { nn, randn, relu, setDefaultDevice, tidy } from "../index.ts";
import type { StepProgram } from "./program.ts";
import { StepRecorder } from "./recorder.ts";
import { foldRelu, type KernelSupport } from "./relu-folding.ts";
import { foldReluGradient } from "./relu-grad-folding.ts";

setDefaultDevice("cpu");

const native: KernelSupport = (op, device, dtype) => findKernel(getDeviceEntry(device), op, dtype) !== undefined;

/** The recorded (unrun) program of a batch norm -> relu -> weighted sum, backward to x, batch norm + relu already folded. */
function recorded(): StepProgram {
  const bn = new nn.BatchNorm2d(3);
  const x = randn([2, 3, 4, 4]).requiresGrad_();
  const upstream = randn([2, 3, 4, 4]);
  const recorder = new StepRecorder();
  const previous = setLazyRecorder(recorder);
  try {
    tidy(() =>
      relu(bn.forward(x.mul(1)))
        .mul(upstream)
        .sum()
        .backward(),
    );
  } finally {
    setLazyRecorder(previous);
  }
  const program = foldRelu(recorder.finish(), native);
  recorder.release();
  return program;
}

const ops = (p: StepProgram) => p.nodes.filter((n) => n.outputs.length > 0).map((n) => n.op);

/** The value the batch-norm gradient reads as its gradient: the relu-masked product. */
const maskedGradient = (p: StepProgram) => p.nodes.find((n) => n.op === "batchNormTrainingGrad")!.inputs[0]!.value;

test("the relu's mask and the batch-norm gradient fold into one batchNormTrainingReluGrad", () => {
  const program = recorded();
  const folded = ops(foldReluGradient(program, native));
  assert.ok(folded.includes("batchNormTrainingReluGrad") && !folded.includes("batchNormTrainingGrad"), folded.join(" "));
  assert.ok(!folded.includes("greater") && !folded.includes("cast"), folded.join(" "));
});

test("no fold when a tensor keeps the masked gradient, the threshold is not 0, or the device has no kernel", () => {
  const program = recorded();
  const held: StepProgram = { ...program, outputs: [...program.outputs, maskedGradient(program)] };
  const threshold: StepProgram = {
    ...program,
    nodes: program.nodes.map((n) => (n.op === "fill" && n.attrs.value === 0 ? { ...n, attrs: { ...n.attrs, value: 0.5 } } : n)),
  };
  for (const [what, p, supports] of [
    ["held", held, native],
    ["threshold 0.5", threshold, native],
    ["no kernel", program, () => false],
  ] as const) {
    const folded = foldReluGradient(p, supports);
    assert.equal(folded, p, what);
  }
});
