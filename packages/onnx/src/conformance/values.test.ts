import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { decodeModel } from "../proto/codec.ts";
import type { HostTensor } from "../tensor.ts";
import { compareValue, hostValue, readTestValue } from "./values.ts";
import { DEFAULT_TOLERANCE } from "./compare.ts";

/**
 * Test data files are read as the type the model declares: a SequenceProto as a sequence, never
 * as a TensorProto (whose dims would be the sequence's name in ASCII), and a kind Polychip does
 * not read is an error naming the file.
 */
const dir = new URL("../../conformance/extra-node/test_sequence_insert_at_back/", import.meta.url);
const bytes = new Uint8Array(readFileSync(new URL("test_data_set_0/input_0.pb", dir)));
const declared = decodeModel(new Uint8Array(readFileSync(new URL("model.onnx", dir)))).graph!.input![0]!.type;

test("a SequenceProto file is read as the sequence the model declares", () => {
  const value = readTestValue(bytes, declared, "input_0.pb");
  assert.ok("sequence" in value);
  assert.equal(value.sequence.length, 3);
  assert.ok(value.sequence.every((e) => "tensor" in e));
});

test("a SequenceProto file where a tensor is declared is an error, not a tensor of garbage dims", () => {
  assert.throws(
    () => readTestValue(bytes, undefined, "input_0.pb"),
    (err: Error) => err instanceof FormatError && /input_0.pb: not a TensorProto/.test(err.message),
  );
});

test("a file declared a map is unsupported, naming the file", () => {
  assert.throws(
    () => readTestValue(bytes, { mapType: { keyType: 7 } }, "input_0.pb"),
    (err: Error) => err instanceof UnsupportedOpError && /input_0.pb: ONNX maps are not supported/.test(err.message),
  );
});

test("sequences compare element by element and by length", () => {
  const expected = readTestValue(bytes, declared, "input_0.pb");
  const elements = hostValue(expected, "s") as HostTensor[];
  assert.ok(compareValue(elements, expected, DEFAULT_TOLERANCE, "s").ok);
  const shorter = compareValue(elements.slice(1), expected, DEFAULT_TOLERANCE, "s");
  assert.equal(shorter.reason, "s: got a sequence of 2, expected 3");
  const changed = elements.map((e, i) => (i === 2 ? { ...e, data: Int32Array.from(e.data, (v) => v + 1) } : e));
  assert.match(compareValue(changed, expected, DEFAULT_TOLERANCE, "s").reason ?? "", /^s\[2\]: element 0/);
});
