import assert from "node:assert/strict";
import { test } from "node:test";
import type { Attrs } from "../device.ts";
import { recurrentConfig } from "./recurrent-config.ts";
import type { TensorMeta } from "./types.ts";

const f32 = (shape: number[]): TensorMeta => ({ shape, dtype: "float32" });
/** x, w, r (and a bias) of an LSTM with `hidden` units over `seq` steps of `batch`. */
const lstmInputs = (seq: number, batch: number, input: number, hidden: number): TensorMeta[] => [
  f32([seq, batch, input]),
  f32([1, 4 * hidden, input]),
  f32([1, 4 * hidden, hidden]),
  f32([1, 8 * hidden]),
];

test("one recurrent attrs object read for new shapes gives each shape's config, as a fresh attrs object does", () => {
  const attrs: Attrs = { optionalInputs: "bias", hiddenSize: 5 };
  for (const [seq, batch, input] of [
    [3, 2, 4],
    [7, 1, 6],
    [3, 2, 4],
  ] as const) {
    const ins = lstmInputs(seq, batch, input, 5);
    const cached = recurrentConfig("lstm", ins, attrs);
    assert.deepEqual(cached, recurrentConfig("lstm", ins, { ...attrs }));
    assert.deepEqual([cached.seqLength, cached.batch, cached.inputSize], [seq, batch, input]);
  }
});

test("one recurrent attrs object read with a mismatched input is still refused", () => {
  const attrs: Attrs = { optionalInputs: "bias" };
  recurrentConfig("lstm", lstmInputs(3, 2, 4, 5), attrs);
  const bad = lstmInputs(3, 2, 4, 5);
  bad[3] = f32([1, 7]);
  assert.throws(() => recurrentConfig("lstm", bad, attrs), /lstm: bias must be \[1, 40\]/);
});
