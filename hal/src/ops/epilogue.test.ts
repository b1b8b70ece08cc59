import assert from "node:assert/strict";
import { test } from "node:test";
import type { DType } from "../dtype.ts";
import { getOp, parseEpilogue, type TensorMeta } from "./index.ts";

const t = (dtype: DType, ...shape: number[]): TensorMeta => ({ shape, dtype });
const biasRelu = {
  program: JSON.stringify([
    { op: "add", args: [0, 1] },
    { op: "relu", args: [2] },
  ]),
  outputs: [2, 3],
};

test("conv2dEpilogue takes conv2d's shape and each program output's dtype; extras broadcast to it", () => {
  const attrs = { ...biasRelu, baseInputs: 2, pads: [1, 1, 1, 1], strides: [2, 2] };
  const out = getOp("conv2dEpilogue").infer([t("float32", 2, 3, 8, 8), t("float32", 5, 3, 3, 3), t("float32", 5, 1, 1)], attrs);
  assert.deepEqual(out, [t("float32", 2, 5, 4, 4), t("float32", 2, 5, 4, 4)]);
  const compare = { program: JSON.stringify([{ op: "greater", args: [0, 1] }]), outputs: [2], baseInputs: 3 };
  const x = [t("float32", 1, 2, 4, 4), t("float32", 3, 2, 1, 1), t("float32", 3), t("float32", 1, 3, 4, 4)];
  assert.deepEqual(getOp("conv2dEpilogue").infer(x, compare), [t("bool", 1, 3, 4, 4)]);
});

test("matmulEpilogue reads matmul's transposes and takes a row bias", () => {
  const attrs = { ...biasRelu, outputs: [3], baseInputs: 2, transposeB: true };
  assert.deepEqual(getOp("matmulEpilogue").infer([t("float32", 4, 6), t("float32", 5, 6), t("float32", 5)], attrs), [t("float32", 4, 5)]);
});

test("parseEpilogue splits the base op's attrs from the program's", () => {
  const e = parseEpilogue("conv2dEpilogue", { ...biasRelu, baseInputs: 3, groups: 2, pads: [1, 1, 1, 1] }, 4);
  assert.equal(e.base, "conv2d");
  assert.deepEqual(e.baseAttrs, { groups: 2, pads: [1, 1, 1, 1] });
  assert.deepEqual(e.fusedAttrs, biasRelu);
  assert.equal(e.baseInputs, 3);
  assert.deepEqual(e.program.outputs, [2, 3]);
});

test("a bad base input count, an enlarging extra or a bad program is refused naming the op", () => {
  const mm = getOp("matmulEpilogue");
  const ab = [t("float32", 2, 3), t("float32", 3, 4)];
  assert.throws(() => mm.infer(ab, { ...biasRelu, baseInputs: 3 }), { name: "ShapeError", message: /^matmulEpilogue: attrs\.baseInputs must be 2/ });
  assert.throws(() => mm.infer(ab, { ...biasRelu }), { message: /^matmulEpilogue: missing attribute 'baseInputs'/ });
  assert.throws(() => mm.infer([...ab, t("float32", 3, 2, 4)], { ...biasRelu, baseInputs: 2 }), { message: /^matmulEpilogue: extra inputs \[3, 2, 4\]/ });
  assert.throws(() => mm.infer([...ab, t("float32", 4)], { program: JSON.stringify([{ op: "matmul", args: [0, 1] }]), outputs: [2], baseInputs: 2 }), {
    message: /^matmulEpilogue: epilogue fused: step 0 uses op 'matmul'/,
  });
  assert.throws(() => mm.infer(ab, { ...biasRelu, baseInputs: 2 }), { message: /^matmulEpilogue: epilogue fused: step 0 \(add\) reads value 1/ });
  const logicalOnFloat = { program: JSON.stringify([{ op: "logicalNot", args: [0] }]), outputs: [1], baseInputs: 2 };
  assert.throws(() => mm.infer(ab, logicalOnFloat), { name: "DTypeError", message: /^matmulEpilogue: epilogue fused: step 0 \(logicalNot\)/ });
  assert.throws(
    () => getOp("conv2dEpilogue").infer([t("float32", 2, 3), t("float32", 3, 4)], { program: '[{"op":"relu","args":[0]}]', outputs: [1], baseInputs: 2 }),
    { message: /^conv2d: / },
  );
});

test("one epilogue attrs object read again, for another op or input count, reads afresh and still refuses a bad count", () => {
  const attrs = { ...biasRelu, baseInputs: 2 };
  const matmul = parseEpilogue("matmulEpilogue", attrs, 3);
  assert.equal(parseEpilogue("matmulEpilogue", attrs, 3), matmul, "kept for the same op and count");
  assert.deepEqual(parseEpilogue("conv2dEpilogue", attrs, 3), parseEpilogue("conv2dEpilogue", { ...attrs }, 3));
  assert.equal(parseEpilogue("conv2dEpilogue", attrs, 3).base, "conv2d");
  assert.throws(() => parseEpilogue("matmulEpilogue", attrs, 1), { message: /^matmulEpilogue: attrs\.baseInputs must be 2 \(the matmul inputs, of 1\)/ });
  assert.equal(parseEpilogue("matmulEpilogue", attrs, 3).base, "matmul");
});
