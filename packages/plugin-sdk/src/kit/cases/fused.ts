import { isFloat, type Attrs, type DType } from "@polychip/hal";
import type { CaseContext, ConformanceCase } from "./types.ts";
import { broadcastRow, random, stepped, transposed, uniformValues } from "./values.ts";

const program = (steps: unknown[], outputs: number[]): Attrs => ({ program: JSON.stringify(steps), outputs });
const constant = (value: number, to: DType) => ({ op: "const", args: [], value, to });

/** Float rows: a GELU-like chain with a broadcast bias, an Adam-like update with three outputs, a compare feeding a where. */
function floatCases(dtype: DType): ConformanceCase[] {
  const gelu = program(
    [
      { op: "add", args: [0, 1] }, // 2
      constant(Math.SQRT1_2, dtype), // 3
      { op: "mul", args: [2, 3] }, // 4
      { op: "erf", args: [4] }, // 5
      constant(1, dtype), // 6
      { op: "add", args: [5, 6] }, // 7
      constant(0.5, dtype), // 8
      { op: "mul", args: [2, 8] }, // 9
      { op: "mul", args: [9, 7] }, // 10
    ],
    [10],
  );
  const adam = program(
    [
      constant(0.9, dtype), // 4
      { op: "mul", args: [2, 4] }, // 5
      constant(0.1, dtype), // 6
      { op: "mul", args: [1, 6] }, // 7
      { op: "add", args: [5, 7] }, // 8: m
      { op: "mul", args: [1, 1] }, // 9
      { op: "add", args: [3, 9] }, // 10: v
      { op: "sqrt", args: [10] }, // 11
      constant(0.001, dtype), // 12
      { op: "add", args: [11, 12] }, // 13
      { op: "div", args: [8, 13] }, // 14
      { op: "sub", args: [0, 14] }, // 15: param
    ],
    [15, 8, 10],
  );
  const select = program(
    [
      { op: "greater", args: [0, 1] }, // 2
      { op: "neg", args: [0] }, // 3
      { op: "where", args: [2, 0, 3] }, // 4
      { op: "cast", args: [4], to: "bool" }, // 5
      { op: "exp", args: [1] }, // 6
    ],
    [4, 2, 5, 6, 0],
  );
  const positive = (seed: number, shape: number[]) => random(seed, dtype, shape, [0, 2]);
  return [
    { name: "GELU-like chain, bias row broadcast [4, 6] + [6]", inputs: [random(601, dtype, [4, 6]), random(602, dtype, [6])], attrs: gelu },
    {
      name: "Adam-like update, three outputs [3, 5]",
      inputs: [random(603, dtype, [3, 5]), random(604, dtype, [3, 5]), random(605, dtype, [3, 5]), positive(606, [3, 5])],
      attrs: adam,
    },
    {
      name: "transposed, stepped and broadcast inputs [4, 3]",
      inputs: [transposed(random(607, dtype, [4, 3])), stepped(random(608, dtype, [4, 3])), broadcastRow(dtype, [4, 3], [0.5, 1, 1.5]), positive(609, [4, 3])],
      attrs: adam,
    },
    { name: "compare, where, cast; an input written as an output [3, 4] vs [4]", inputs: [random(610, dtype, [3, 4]), random(611, dtype, [4])], attrs: select },
    { name: "single-element inputs against a row [1] vs [7]", inputs: [random(612, dtype, [1]), random(613, dtype, [7])], attrs: select },
    { name: "empty [0, 3]", inputs: [random(614, dtype, [0, 3]), random(615, dtype, [3])], attrs: gelu },
    { name: "large [96, 128]", inputs: [random(616, dtype, [96, 128]), random(617, dtype, [128])], attrs: gelu },
  ];
}

/** Integer rows: arithmetic that must wrap, a maximum against a const, a compare and a cast to a float. */
function integerCases(dtype: DType, float: DType | undefined): ConformanceCase[] {
  const steps: unknown[] = [
    { op: "add", args: [0, 1] }, // 2
    { op: "mul", args: [2, 0] }, // 3
    constant(3, dtype), // 4
    { op: "maximum", args: [3, 4] }, // 5
    { op: "lessEqual", args: [5, 1] }, // 6
    { op: "where", args: [6, 0, 2] }, // 7
  ];
  if (float) steps.push({ op: "cast", args: [7], to: float }); // 8
  const attrs = program(steps, float ? [5, 6, 8] : [5, 6, 7]);
  return [
    { name: "wrapping arithmetic, compare, where [3, 5]", inputs: [random(620, dtype, [3, 5]), random(621, dtype, [5])], attrs },
    { name: "transposed and stepped [4, 3]", inputs: [transposed(random(622, dtype, [4, 3])), stepped(random(623, dtype, [4, 3]))], attrs },
  ];
}

/** Bool rows: logical ops on the condition, then a where choosing between values of another dtype. */
function boolCases(value: DType): ConformanceCase[] {
  const attrs = program(
    [
      { op: "logicalNot", args: [0] }, // 3
      { op: "notEqual", args: [1, 2] }, // 4
      { op: "logicalAnd", args: [3, 4] }, // 5
      { op: "logicalXor", args: [5, 0] }, // 6
      { op: "where", args: [6, 1, 2] }, // 7
    ],
    [6, 7],
  );
  const values = (seed: number, n: number) => uniformValues(seed, n, 0, 3, value).map((v) => (isFloat(value) ? Math.round(v) : v));
  const valueInput = (seed: number, shape: number[]) => ({
    ...random(seed, value, shape),
    storage: values(
      seed,
      shape.reduce((a, b) => a * b, 1),
    ),
  });
  return [
    { name: `logical ops and a where over ${value} [3, 4]`, inputs: [random(630, "bool", [3, 4]), valueInput(631, [3, 4]), valueInput(632, [4])], attrs },
    { name: `stepped condition over ${value} [2, 5]`, inputs: [stepped(random(633, "bool", [2, 5])), valueInput(634, [2, 5]), valueInput(635, [1, 5])], attrs },
  ];
}

/** `fused` programs whose first input has the row's dtype, over the layouts every elementwise kernel must take. */
export function fusedCases({ dtype, deviceDTypes }: CaseContext): ConformanceCase[] {
  if (isFloat(dtype)) return floatCases(dtype);
  const nonBool = deviceDTypes.filter((d) => d !== "bool");
  if (dtype === "bool") return nonBool.length > 0 ? boolCases(nonBool[0]!) : [];
  return integerCases(
    dtype,
    deviceDTypes.find((d) => isFloat(d)),
  );
}
