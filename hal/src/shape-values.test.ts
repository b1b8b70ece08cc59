import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "./errors.ts";
import type { Dim } from "./shape.ts";
import { shapeValueOf, tileDims } from "./shape-values.ts";
import { inferStructuralSymbolic, type SymbolicStructuralInput } from "./structural-symbolic.ts";
import type { StructuralOp } from "./structural.ts";
import type { Attrs } from "./device.ts";

const run = (op: StructuralOp, x: { shape: Dim[]; values?: Dim[] }, attrs: Attrs, extra: SymbolicStructuralInput["extra"] = [], fresh?: () => string) =>
  inferStructuralSymbolic(op, { x: { dtype: x.values ? "int32" : "float32", ...x }, extra, attrs, outputCount: 1 }, fresh ? { fresh } : {})[0]!;
const freshCounter = () => {
  let n = 0;
  return () => `?${++n}`;
};

test("Shape → Slice → Concat → Gather carries the symbols of the shape, entry by entry", () => {
  const s = run("shape", { shape: ["batch", "seq", 6] }, {});
  assert.deepEqual(s.values, ["batch", "seq", 6]);
  const lead = run("slice", { shape: [3], values: s.values! }, {}, [[0], [2]]);
  assert.deepEqual(lead, { dtype: "int32", shape: [2], values: ["batch", "seq"] });
  const target = shapeValueOf(
    "concat",
    [
      { shape: [2], values: lead.values! },
      { shape: [2], values: [2, 3] },
    ],
    { axis: 0 },
  );
  assert.deepEqual(target, ["batch", "seq", 2, 3]);
  assert.deepEqual(
    shapeValueOf(
      "gather",
      [
        { shape: [3], values: s.values! },
        { shape: [2], values: [-1, 0] },
      ],
      { axis: 0 },
    ),
    [6, "batch"],
  );
  // A scalar picked and made 1-D again (Gather → Unsqueeze) keeps its symbol.
  const seq = shapeValueOf(
    "gather",
    [
      { shape: [3], values: s.values! },
      { shape: [], values: [1] },
    ],
    { axis: 0 },
  )!;
  assert.deepEqual(run("unsqueeze", { shape: [], values: seq }, { axes: [0] }).values, ["seq"]);
});

test("products of shape values are whole multiples of one symbol, or unknown", () => {
  assert.deepEqual(
    shapeValueOf(
      "mul",
      [
        { shape: [1], values: ["batch"] },
        { shape: [], values: [8] },
      ],
      {},
    ),
    ["batch*8"],
  );
  assert.deepEqual(
    shapeValueOf(
      "mul",
      [
        { shape: [2], values: [3, "seq"] },
        { shape: [2], values: [4, 0] },
      ],
      {},
    ),
    [12, 0],
  );
  assert.equal(
    shapeValueOf(
      "mul",
      [
        { shape: [1], values: ["batch"] },
        { shape: [1], values: ["seq"] },
      ],
      {},
    ),
    undefined,
  );
  assert.equal(shapeValueOf("cast", [{ shape: [1], values: ["batch"] }], { to: "float32" }), undefined);
  assert.deepEqual(shapeValueOf("cast", [{ shape: [1], values: ["batch"] }], { to: "int32" }), ["batch"]);
  // Out-of-range positions or an unknown index leave the value unknown.
  assert.equal(
    shapeValueOf(
      "gather",
      [
        { shape: [2], values: ["a", "b"] },
        { shape: [1], values: [2] },
      ],
      {},
    ),
    undefined,
  );
  assert.equal(shapeValueOf("gather", [{ shape: [2], values: ["a", "b"] }, { shape: [1] }], {}), undefined);
});

test("reshape to a symbolic target resolves 0 (copy) and -1 (what is left) against the symbols", () => {
  const x = { shape: ["batch", "seq", 6] };
  assert.deepEqual(run("reshape", x, {}, [["batch", "seq", 2, 3]]).shape, ["batch", "seq", 2, 3]);
  assert.deepEqual(run("reshape", x, {}, [[0, "seq", -1]]).shape, ["batch", "seq", 6]);
  assert.deepEqual(run("reshape", x, {}, [["batch", -1]]).shape, ["batch", "seq*6"]);
  assert.deepEqual(run("reshape", x, {}, [[0, 0, 3, -1]]).shape, ["batch", "seq", 3, 2]);
  // -1 standing for two symbols is no one dim: a fresh symbol, or a ShapeError without one.
  assert.deepEqual(run("reshape", x, {}, [[-1, 3]], freshCounter()).shape, ["?1", 3]);
  assert.throws(() => run("reshape", x, {}, [[-1, 3]]), ShapeError);
  // The numbers that remain must agree: [batch, seq, 5] cannot hold batch·seq·6 elements.
  assert.throws(() => run("reshape", x, {}, [["batch", "seq", 5]]), /cannot reshape \[batch, seq, 6\]/);
});

test("expand to a symbolic shape value broadcasts its symbols", () => {
  // Expand(x, Shape(y)) of x [1, 6] and y [batch, seq, 6]: y's shape.
  assert.deepEqual(run("expand", { shape: [1, 6] }, {}, [["batch", "seq", 6]]).shape, ["batch", "seq", 6]);
  // A symbol against 1 stays, against a number takes the number, the same symbol stays.
  assert.deepEqual(run("expand", { shape: ["batch", 1, 4] }, {}, [[1, "seq", 1]]).shape, ["batch", "seq", 4]);
  assert.deepEqual(run("expand", { shape: [3, "seq"] }, {}, [["n", "seq"]]).shape, [3, "seq"]);
  // Two different symbols may each be 1: the run tells.
  assert.deepEqual(run("expand", { shape: ["batch"] }, {}, [["seq"]], freshCounter()).shape, ["?1"]);
  assert.throws(() => run("expand", { shape: ["batch"] }, {}, [["seq"]]), ShapeError);
  assert.throws(() => run("expand", { shape: [2, 3] }, {}, [["batch", 4]]), /shapes \[2, 3\] and \[batch, 4\] cannot be broadcast together \(dim 1: 3 vs 4\)/);
  assert.throws(() => run("expand", { shape: [2] }, {}, [["batch", -2]]), /invalid target shape/);
});

test("arguments with symbols other than targets are taken as known only at run time", () => {
  assert.deepEqual(run("slice", { shape: [8, 4] }, {}, [[0], ["n"], [0]], freshCounter()).shape, ["?1", 4]);
  assert.throws(() => run("unsqueeze", { shape: [8] }, {}, [["n"]]), /known only at run time/);
});

test("tile keeps a symbol repeated once, takes a symbolic repeat of a 1, and multiplies a symbol by a number", () => {
  assert.deepEqual(
    tileDims("tile", ["batch", 1, 4], [1, "seq", 2], () => "?"),
    ["batch", "seq", 8],
  );
  assert.deepEqual(
    tileDims("tile", ["batch", 3], [2, 0], () => "?"),
    ["batch*2", 0],
  );
  assert.deepEqual(
    tileDims("tile", ["batch", 3], ["seq", 1], () => "?1"),
    ["?1", 3],
  );
  assert.throws(() => tileDims("tile", ["batch", 3], [1], () => "?"), /repeats \[1\] do not fit input shape \[batch, 3\]/);
  assert.throws(() => tileDims("tile", [2], [-1], () => "?"), ShapeError);
});

const sv = (values: Dim[], shape: Dim[] = [values.length]) => ({ shape, values });

test("Equal of a size and a negative number is false, of one symbol with itself true, of a size and 0 unknown", () => {
  assert.deepEqual(shapeValueOf("equal", [sv(["batch", "seq", 4]), sv([-1, -1, -1])], {}), [0, 0, 0]);
  assert.deepEqual(shapeValueOf("equal", [sv(["batch", 4]), sv(["batch", 5])], {}), [1, 0]);
  // batch may be 0, and two symbols may be the same size: neither is decided.
  assert.equal(shapeValueOf("equal", [sv(["batch"]), sv([0])], {}), undefined);
  assert.equal(shapeValueOf("equal", [sv(["batch"]), sv(["seq"])], {}), undefined);
});

test("Where with a decided condition picks entries, and equal branches need no condition", () => {
  // expand(-1, …) as torch exports it: Where(Equal(shape, -1), ones, shape).
  const shape = sv(["batch", -1, 4]);
  const cond = shapeValueOf("equal", [shape, sv([-1])], {})!;
  assert.deepEqual(cond, [0, 1, 0]);
  assert.deepEqual(shapeValueOf("where", [sv(cond), sv([1, 1, 1]), shape], {}), ["batch", 1, 4]);
  assert.deepEqual(shapeValueOf("where", [{ shape: [2] }, sv(["seq", 2]), sv(["seq", 2])], {}), ["seq", 2]);
  assert.equal(shapeValueOf("where", [{ shape: [2] }, sv(["seq", 2]), sv([1, 2])], {}), undefined);
  assert.equal(shapeValueOf("where", [sv([1, 0, 1]), sv([1, 1]), sv([2, 2, 2])], {}), undefined);
});

test("Add and Sub keep a symbol where a 0 or the same symbol cancels, and compute numbers as the HAL does", () => {
  assert.deepEqual(shapeValueOf("add", [sv(["seq", 3]), sv([0, 4])], {}), ["seq", 7]);
  assert.deepEqual(shapeValueOf("sub", [sv(["seq", "batch"]), sv(["seq", 0], [2])], {}), [0, "batch"]);
  assert.deepEqual(shapeValueOf("sub", [sv([2]), sv([5], [])], {}), [-3]);
});

test("arithmetic with no symbol form is a fresh size only where it is provably ≥ 0", () => {
  const fresh = freshCounter();
  assert.deepEqual(shapeValueOf("add", [sv(["seq"]), sv([1], [])], {}, fresh), ["?1"]);
  assert.deepEqual(shapeValueOf("sub", [sv(["seq"]), sv([-2])], {}, fresh), ["?2"]);
  // seq - 1 is -1 for seq = 0, and seq + -3 may be negative: not sizes, so unknown.
  assert.equal(shapeValueOf("sub", [sv(["seq"]), sv([1])], {}, fresh), undefined);
  assert.equal(shapeValueOf("add", [sv(["seq"]), sv([-3])], {}, fresh), undefined);
  // Without a source of fresh symbols the value is unknown: never a number from a placeholder.
  assert.equal(shapeValueOf("add", [sv(["seq"]), sv([1])], {}), undefined);
});

test("integer Div truncates numbers, divides a multiple of a symbol exactly, else is a fresh size", () => {
  assert.deepEqual(shapeValueOf("div", [sv([7, -7, 5]), sv([2, 2, 0])], {}), [3, -3, 0]);
  assert.deepEqual(shapeValueOf("div", [sv(["batch*8", "batch*8", "seq"]), sv([2, 8, 1])], {}), ["batch*4", "batch", "seq"]);
  assert.deepEqual(shapeValueOf("div", [sv(["width", "batch*3"]), sv([2])], {}, freshCounter()), ["?1", "?2"]);
  assert.equal(shapeValueOf("div", [sv(["width"]), sv([-2])], {}, freshCounter()), undefined);
  assert.equal(shapeValueOf("div", [sv([8]), sv(["width"])], {}, freshCounter()), undefined);
});

test("Max and Min of a size and a number ≤ 0 are decided; against a positive number they are not", () => {
  assert.deepEqual(shapeValueOf("maximum", [sv(["batch", 3]), sv([0, 5])], {}), ["batch", 5]);
  assert.deepEqual(shapeValueOf("minimum", [sv(["batch", "seq"]), sv([-1, "seq"])], {}), [-1, "seq"]);
  assert.equal(shapeValueOf("maximum", [sv(["batch"]), sv([1])], {}), undefined);
  assert.equal(shapeValueOf("minimum", [sv(["batch"]), sv([1])], {}), undefined);
});

test("Squeeze, Unsqueeze and Identity pass a shape value's symbols through", () => {
  assert.deepEqual(run("squeeze", { shape: [1], values: ["seq"] }, {}, [[0]]).values, ["seq"]);
  assert.deepEqual(run("unsqueeze", { shape: [], values: ["seq"] }, {}, [[0]]).values, ["seq"]);
  assert.deepEqual(shapeValueOf("identity", [sv(["batch", 2])], {}), ["batch", 2]);
});

test("a cast into a narrow integer type keeps only numbers it can hold", () => {
  assert.deepEqual(shapeValueOf("cast", [sv([3, 100])], { to: "uint8" }), [3, 100]);
  assert.equal(shapeValueOf("cast", [sv([300])], { to: "uint8" }), undefined);
  assert.equal(shapeValueOf("cast", [sv(["batch"])], { to: "int8" }), undefined);
});
