import assert from "node:assert/strict";
import { test } from "node:test";
import type { Attrs } from "../device.ts";
import type { DType } from "../dtype.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { getOp } from "./index.ts";

const t = (dtype: DType, ...shape: number[]) => ({ shape, dtype });
const infer = (op: string, inputs: { shape: number[]; dtype: DType }[], attrs: Attrs = {}) => getOp(op).infer(inputs, attrs);

test("lstm infers Y, Y_h and Y_c for both layouts", () => {
  const w = t("float32", 2, 16, 3);
  const r = t("float32", 2, 16, 4);
  const bi = { direction: "bidirectional" };
  assert.deepEqual(infer("lstm", [t("float32", 5, 2, 3), w, r], bi), [t("float32", 5, 2, 2, 4), t("float32", 2, 2, 4), t("float32", 2, 2, 4)]);
  assert.deepEqual(infer("lstm", [t("float32", 2, 5, 3), w, r], { ...bi, layout: 1 }), [
    t("float32", 2, 5, 2, 4),
    t("float32", 2, 2, 4),
    t("float32", 2, 2, 4),
  ]);
});

test("gru and rnn infer Y and Y_h", () => {
  assert.deepEqual(infer("gru", [t("float32", 5, 2, 3), t("float32", 1, 12, 3), t("float32", 1, 12, 4)]), [t("float32", 5, 1, 2, 4), t("float32", 1, 2, 4)]);
  assert.deepEqual(infer("rnn", [t("float16", 5, 2, 3), t("float16", 1, 4, 3), t("float16", 1, 4, 4)]), [t("float16", 5, 1, 2, 4), t("float16", 1, 2, 4)]);
});

test("optional inputs are named by optionalInputs and checked against the op's shapes", () => {
  const x = t("float32", 5, 2, 3);
  const w = t("float32", 1, 4, 3);
  const r = t("float32", 1, 4, 4);
  const ok = infer("rnn", [x, w, r, t("int32", 2), t("float32", 1, 2, 4)], { optionalInputs: "sequenceLens,initialH" });
  assert.equal(ok.length, 2);
  assert.throws(
    () => infer("rnn", [x, w, r, t("float32", 1, 2, 4), t("int32", 2)], { optionalInputs: "initialH,sequenceLens" }),
    /in the order bias, sequenceLens, initialH/,
  );
  assert.throws(() => infer("rnn", [x, w, r, t("float32", 1, 2, 4)]), /expects x, w, r and the 0 optional input/);
  assert.throws(() => infer("rnn", [x, w, r, t("float32", 1, 3, 4)], { optionalInputs: "initialH" }), /rnn: initialH must be \[1, 2, 4\], got \[1, 3, 4\]/);
  assert.throws(() => infer("rnn", [x, w, r, t("float32", 2)], { optionalInputs: "sequenceLens" }), DTypeError);
  assert.throws(
    () => infer("gru", [x, t("float32", 1, 12, 3), t("float32", 1, 12, 4), t("float32", 1, 12)], { optionalInputs: "peepholes" }),
    /gru: unknown optional input 'peepholes'/,
  );
});

test("weights of the wrong shape are refused naming the op and both shapes", () => {
  assert.throws(
    () => infer("lstm", [t("float32", 5, 2, 3), t("float32", 1, 16, 2), t("float32", 1, 16, 4)]),
    (err: Error) => {
      assert.ok(err instanceof ShapeError);
      assert.match(err.message, /lstm: w must be \[1, 16, 3\], got \[1, 16, 2\]/);
      return true;
    },
  );
  assert.throws(
    () => infer("lstm", [t("float32", 5, 2, 3), t("float32", 1, 16, 3), t("float32", 1, 16, 4)], { hiddenSize: 5 }),
    /hiddenSize 5 does not match r/,
  );
});

test("attrs outside ONNX's range are refused", () => {
  const ins = [t("float32", 5, 2, 3), t("float32", 1, 4, 3), t("float32", 1, 4, 4)];
  assert.throws(() => infer("rnn", ins, { direction: "sideways" }), /direction must be forward, reverse or bidirectional/);
  assert.throws(() => infer("rnn", ins, { layout: 2 }), /layout must be 0 or 1/);
  assert.throws(() => infer("rnn", ins, { clip: -1 }), /clip must be a positive number/);
  assert.throws(() => infer("rnn", ins, { activations: "swish" }), /unknown activation 'swish'/);
  assert.throws(() => infer("rnn", ins, { activations: "tanh", activationAlpha: [1, 2] }), /activationAlpha' must list one number per activation \(1\)/);
  assert.throws(() => infer("rnn", [t("int32", 5, 2, 3), t("int32", 1, 4, 3), t("int32", 1, 4, 4)]), DTypeError);
});

test("one direction's activations serve both directions of a bidirectional op", () => {
  const ins = [t("float32", 5, 2, 3), t("float32", 2, 4, 3), t("float32", 2, 4, 4)];
  assert.equal(infer("rnn", ins, { direction: "bidirectional", activations: "relu" }).length, 2);
  assert.throws(() => infer("rnn", ins, { direction: "bidirectional", activations: "relu,tanh,tanh" }), /expects 2 activations/);
});
