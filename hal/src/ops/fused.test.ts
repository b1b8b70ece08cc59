import assert from "node:assert/strict";
import { test } from "node:test";
import type { Attrs } from "../device.ts";
import { isFloat, type DType } from "../dtype.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { roundToFloat16 } from "../half.ts";
import { broadcastStrides, contiguousStrides, sizeOf, stridedOffsets, type Shape } from "../shape.ts";
import { FUSIBLE_OPS, fusedValueTypes, getOp, parseFusedProgram, UNARY_SCALAR, BINARY_SCALAR, type DecompositionContext, type TensorMeta } from "./index.ts";

const t = (dtype: DType, ...shape: number[]): TensorMeta => ({ shape, dtype });
const program = (steps: unknown[], outputs: number[]): Attrs => ({ program: JSON.stringify(steps), outputs });
const infer = (inputs: TensorMeta[], attrs: Attrs) => getOp("fused").infer(inputs, attrs);

test("fused is an elementwise composite whose outputs take the inputs' broadcast shape and their values' dtypes", () => {
  const def = getOp("fused");
  assert.equal(def.kind, "composite");
  assert.equal(def.family, "fused");
  const attrs = program(
    [
      { op: "add", args: [0, 1] },
      { op: "greater", args: [2, 0] },
    ],
    [2, 3, 0],
  );
  assert.deepEqual(infer([t("float32", 2, 1), t("float32", 3)], attrs), [t("float32", 2, 3), t("bool", 2, 3), t("float32", 2, 3)]);
  assert.deepEqual(infer([], program([{ op: "const", args: [], value: 3, to: "int32" }], [0])), [t("int32")]);
});

test("FUSIBLE_OPS holds the elementwise primitives and const, not fill, random, copy or reductions", () => {
  for (const op of ["add", "exp", "where", "cast", "less", "logicalAnd", "const"]) assert.ok(FUSIBLE_OPS.has(op), op);
  for (const op of ["fill", "randomUniform", "copy", "reduceSum", "matmul", "fused"]) assert.ok(!FUSIBLE_OPS.has(op), op);
});

test("malformed programs are refused naming fused", () => {
  const x = [t("float32", 2)];
  assert.throws(() => infer(x, { program: "[{op:", outputs: [0] }), { name: "ShapeError", message: /^fused: program is not valid JSON/ });
  assert.throws(() => infer(x, { program: '{"op":"neg"}', outputs: [0] }), { message: "fused: program must be a JSON array of steps" });
  assert.throws(() => infer(x, { outputs: [0] }), { message: /^fused: attrs\.program must be a JSON string/ });
  assert.throws(() => infer(x, program([], [])), { message: /^fused: attrs\.outputs must be a non-empty list/ });
});

test("an unknown or non-elementwise op is refused naming the step and the op", () => {
  const x = [t("float32", 2, 2)];
  assert.throws(
    () =>
      infer(
        x,
        program(
          [
            { op: "neg", args: [0] },
            { op: "matmul", args: [1, 1] },
          ],
          [2],
        ),
      ),
    {
      name: "ShapeError",
      message: /^fused: step 1 uses op 'matmul', which is not an elementwise op a program may use/,
    },
  );
  assert.throws(() => infer(x, program([{ op: "frobnicate", args: [0] }], [1])), { message: /^fused: step 0 uses op 'frobnicate'/ });
  assert.throws(() => infer(x, program([{ op: "add", args: [0] }], [1])), { message: "fused: step 0 (add): takes 2 argument(s), got 1" });
});

test("args that refer forward or out of range, and outputs out of range, are refused", () => {
  const x = [t("float32", 2)];
  assert.throws(() => infer(x, program([{ op: "neg", args: [1] }], [1])), {
    message: "fused: step 0 (neg) reads value 1, but only values 0..0 exist before it (1 inputs)",
  });
  assert.throws(() => infer(x, program([{ op: "neg", args: [-1] }], [1])), { message: /^fused: step 0 \(neg\): args must be a list of value indices/ });
  assert.throws(() => infer(x, program([{ op: "neg", args: [0] }], [2])), { message: /^fused: output index 2 is out of range: the program has 2 values/ });
});

test("a step whose unfused infer throws is refused with that op's reason, naming the step", () => {
  assert.throws(
    () =>
      infer(
        [t("int32", 2)],
        program(
          [
            { op: "neg", args: [0] },
            { op: "exp", args: [1] },
          ],
          [2],
        ),
      ),
    (e: unknown) => {
      assert.ok(e instanceof DTypeError);
      assert.match(e.message, /^fused: step 1 \(exp\): exp: dtype int32 is not supported/);
      return true;
    },
  );
  assert.throws(
    () =>
      infer(
        [t("float32", 2), t("float32", 3)],
        program(
          [
            { op: "neg", args: [0] },
            { op: "add", args: [2, 1] },
          ],
          [3],
        ),
      ),
    ShapeError,
  );
  assert.throws(() => infer([t("float32", 2)], program([{ op: "cast", args: [0], to: "float64" }], [1])), {
    name: "DTypeError",
    message: /step 0 \(cast\): 'to' must be a dtype/,
  });
});

test("const values must be finite and fit their dtype", () => {
  assert.throws(() => infer([], program([{ op: "const", args: [] }], [0])), { message: /step 0 \(const\): value must be a finite number/ });
  assert.throws(() => infer([], program([{ op: "const", args: [], value: 300, to: "int8" }], [0])), {
    message: "fused: step 0 (const): value 300 is not a int8",
  });
  assert.throws(() => infer([], program([{ op: "const", args: [], value: 0.5, to: "bool" }], [0])), { message: /is not a bool/ });
});

test("fusedValueTypes gives every value's meta, intermediates at their own (smaller) shapes", () => {
  const { steps } = parseFusedProgram(
    program(
      [
        { op: "exp", args: [1] },
        { op: "const", args: [], value: 2, to: "float32" },
        { op: "mul", args: [0, 2] },
      ],
      [4],
    ),
  );
  assert.deepEqual(fusedValueTypes(steps, [t("float32", 4, 3), t("float32", 3)]), [
    t("float32", 4, 3),
    t("float32", 3),
    t("float32", 3),
    t("float32"),
    t("float32", 4, 3),
  ]);
});

/** Host values, contiguous: enough of the ops to run the decomposition by the HAL's scalar rules. */
interface HostValue {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly data: number[];
}

function store(dtype: DType, v: number): number {
  switch (dtype) {
    case "float32":
      return Math.fround(v);
    case "float16":
      return roundToFloat16(v);
    case "int32":
      return v | 0;
    case "int8":
      return (v << 24) >> 24;
    default:
      return v & 255;
  }
}

function castValue(to: DType, v: number): number {
  if (to === "bool") return v !== 0 ? 1 : 0;
  if (isFloat(to)) return v;
  if (to === "int32") return v | 0;
  const [lo, hi] = to === "int8" ? [-128, 127] : [0, 255];
  return v !== v ? 0 : Math.max(lo, Math.min(hi, Math.trunc(v)));
}

class HostContext implements DecompositionContext<HostValue> {
  readonly calls: string[] = [];
  meta = (v: HostValue): TensorMeta => ({ shape: v.shape, dtype: v.dtype });
  call(op: string, inputs: readonly HostValue[], attrs: Attrs = {}): HostValue {
    this.calls.push(op);
    const [out] = getOp(op).infer(inputs, attrs);
    const args = inputs.map((x) =>
      Array.from(stridedOffsets(out!.shape, broadcastStrides(x.shape, contiguousStrides(x.shape), out!.shape), 0), (o) => x.data[o]!),
    );
    const scalar = (i: number): number => {
      const [a, b, c] = args.map((xs) => xs[i]!) as [number, number, number];
      if (op === "copy") return a;
      if (op === "cast") return castValue(out!.dtype, a);
      if (op === "where") return a !== 0 ? b : c;
      return args.length === 1 ? UNARY_SCALAR[op]!(a) : BINARY_SCALAR[op]![isFloat(inputs[0]!.dtype) ? 0 : 1](a, b);
    };
    return { ...out!, data: Array.from({ length: sizeOf(out!.shape) }, (_, i) => store(out!.dtype, scalar(i))) };
  }
  constant = (values: ArrayLike<number>, shape: Shape, dtype: DType): HostValue => ({ shape, dtype, data: Array.from(values, (v) => store(dtype, v)) });
  reshape = (v: HostValue, shape: Shape): HostValue => ({ ...v, shape });
  view = (v: HostValue, shape: Shape, strides: readonly number[], offset: number): HostValue => ({
    shape,
    dtype: v.dtype,
    data: Array.from(stridedOffsets(shape, strides, offset), (o) => v.data[o]!),
  });
  copyInto(): void {
    throw new Error("fused never writes into a region");
  }
}

function decompose(inputs: HostValue[], attrs: Attrs): { outputs: HostValue[]; calls: string[] } {
  const ctx = new HostContext();
  const outputs = getOp("fused").decompose!(ctx, inputs, attrs);
  return { outputs, calls: ctx.calls };
}

const f32 = (shape: number[], data: number[]): HostValue => ({ shape, dtype: "float32", data: data.map(Math.fround) });

test("the decomposition runs the unfused ops in order, broadcasting, and rounds every step to float32", () => {
  const attrs = program(
    [
      { op: "add", args: [0, 1] },
      { op: "const", args: [], value: 0.1 },
      { op: "mul", args: [2, 3] },
    ],
    [4],
  );
  const { outputs, calls } = decompose([f32([2, 1], [1, 2]), f32([3], [10, 20, 30])], attrs);
  assert.deepEqual(calls, ["add", "mul"]);
  assert.deepEqual(outputs[0]!.shape, [2, 3]);
  const f = Math.fround;
  assert.deepEqual(
    outputs[0]!.data,
    [11, 21, 31, 12, 22, 32].map((s) => f(s * f(0.1))),
  );
});

test("several outputs: an intermediate, and an input or a scalar broadcast to the output shape", () => {
  const attrs = program(
    [
      { op: "neg", args: [0] },
      { op: "const", args: [], value: 7, to: "int32" },
    ],
    [2, 0, 3, 2],
  );
  const x = { shape: [2, 2], dtype: "int32" as DType, data: [1, -2, 3, -4] };
  const { outputs } = decompose([x, { shape: [2], dtype: "int32", data: [0, 0] }], attrs);
  assert.deepEqual(
    outputs.map((o) => [o.dtype, o.shape, o.data]),
    [
      ["int32", [2, 2], [-1, 2, -3, 4]],
      ["int32", [2, 2], [1, -2, 3, -4]],
      ["int32", [2, 2], [7, 7, 7, 7]],
      ["int32", [2, 2], [-1, 2, -3, 4]],
    ],
  );
  assert.notEqual(outputs[0], outputs[3], "a value written to two outputs is two fresh values");
});

test("cast, compare and where: a relu written as a program, and float32 to int8 saturation", () => {
  const attrs = program(
    [
      { op: "const", args: [], value: 0 },
      { op: "greater", args: [0, 1] },
      { op: "where", args: [2, 0, 1] },
      { op: "cast", args: [3], to: "int8" },
    ],
    [3, 4, 2],
  );
  const { outputs } = decompose([f32([4], [-1.5, 2.75, 300, NaN])], attrs);
  assert.deepEqual(
    outputs.map((o) => [o.dtype, o.data]),
    [
      ["float32", [0, 2.75, 300, 0]],
      ["int8", [0, 2, 127, 0]],
      ["bool", [0, 1, 1, 0]],
    ],
  );
});

test("a program without inputs computes a scalar", () => {
  const attrs = program(
    [
      { op: "const", args: [], value: 2 },
      { op: "exp", args: [0] },
    ],
    [1],
  );
  const { outputs } = decompose([], attrs);
  assert.deepEqual(outputs[0], { shape: [], dtype: "float32", data: [Math.fround(Math.exp(2))] });
});
