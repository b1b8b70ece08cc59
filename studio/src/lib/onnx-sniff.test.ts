import { test } from "node:test";
import assert from "node:assert/strict";
import { onnxProblem } from "./onnx-sniff.ts";

// ir_version = 8, producer_name = "p", graph = { name = "g" }
const MINIMAL_MODEL = Uint8Array.from([0x08, 0x08, 0x12, 0x01, 0x70, 0x3a, 0x03, 0x12, 0x01, 0x67]);

test("a protobuf model with a graph is accepted", () => {
  assert.equal(onnxProblem(MINIMAL_MODEL), undefined);
});

test("random bytes are refused with a reason", () => {
  let seed = 3;
  const garbage = Uint8Array.from({ length: 500 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  assert.match(onnxProblem(garbage) ?? "", /byte \d+|past the end|more bytes|no graph/);
});

test("a model cut short, or one with no graph, is refused", () => {
  assert.match(onnxProblem(MINIMAL_MODEL.subarray(0, 8)) ?? "", /more bytes than the file has/);
  assert.equal(onnxProblem(MINIMAL_MODEL.subarray(0, 5)), "it has no graph");
  assert.equal(onnxProblem(new Uint8Array()), "the file is empty");
});
