/**
 * The program a `fused` node carries: parsed and checked here, once, for every reader (the op's
 * infer and decomposition, device kernels, graph passes), so no one interprets it differently.
 */
import type { Attrs } from "../device.ts";
import { isDType, isFloat, type DType } from "../dtype.ts";
import { DTypeError, PolychipError, ShapeError } from "../errors.ts";
import { broadcastShapes, type Shape } from "../shape.ts";
import { PRIMITIVES } from "./primitives.ts";
import type { OpDef, OpFamily, TensorMeta } from "./types.ts";

/** One step: `op` applied to earlier values (`args`); `to` is cast's target and const's dtype; `value` is const's number. */
export interface FusedStep {
  readonly op: string;
  readonly args: readonly number[];
  readonly to?: DType;
  readonly value?: number;
}

export interface FusedProgram {
  readonly steps: readonly FusedStep[];
  /** Value index written to each output: 0..N-1 are the inputs, N+k the result of step k. */
  readonly outputs: readonly number[];
}

const FUSIBLE_FAMILIES: readonly OpFamily[] = ["unary", "binary", "compare", "logical", "select", "cast"];
const FUSIBLE_PRIMITIVES = new Map<string, OpDef>(PRIMITIVES.filter((p) => FUSIBLE_FAMILIES.includes(p.family)).map((p) => [p.name, p]));

/** The op names a program may use: the elementwise primitives (not fill, random or copy) and "const". */
export const FUSIBLE_OPS: ReadonlySet<string> = new Set([...FUSIBLE_PRIMITIVES.keys(), "const"]);

function fail(message: string): never {
  throw new ShapeError(`fused: ${message}`);
}

function isIndex(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** A const's number as its dtype stores it exactly, or an error: the program never relies on a silent conversion. */
function constValue(k: number, value: unknown, to: DType): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(`step ${k} (const): value must be a finite number, got ${JSON.stringify(value)}`);
  if (isFloat(to)) return value;
  const [lo, hi] = to === "bool" ? [0, 1] : to === "uint8" ? [0, 255] : to === "int8" ? [-128, 127] : [-2147483648, 2147483647];
  if (!Number.isInteger(value) || value < lo || value > hi) fail(`step ${k} (const): value ${value} is not a ${to}`);
  return value;
}

function parseStep(raw: unknown, k: number): FusedStep {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(`step ${k} must be an object {op, args}, got ${JSON.stringify(raw)}`);
  const { op, args, to, value } = raw as Record<string, unknown>;
  if (typeof op !== "string") fail(`step ${k} has no op name`);
  if (!FUSIBLE_OPS.has(op)) fail(`step ${k} uses op '${op}', which is not an elementwise op a program may use (${[...FUSIBLE_OPS].join(", ")})`);
  if (!Array.isArray(args) || !args.every(isIndex)) fail(`step ${k} (${op}): args must be a list of value indices, got ${JSON.stringify(args)}`);
  const arity = op === "const" ? [0, 0] : FUSIBLE_PRIMITIVES.get(op)!.inputs;
  if (args.length < arity[0]! || args.length > arity[1]!) fail(`step ${k} (${op}): takes ${arity[0]} argument(s), got ${args.length}`);
  if (op === "cast" && !isDType(to)) throw new DTypeError(`fused: step ${k} (cast): 'to' must be a dtype, got ${JSON.stringify(to)}`);
  if (op !== "const") return op === "cast" ? { op, args, to: to as DType } : { op, args };
  if (to !== undefined && !isDType(to)) throw new DTypeError(`fused: step ${k} (const): 'to' must be a dtype, got ${JSON.stringify(to)}`);
  const dtype = (to as DType | undefined) ?? "float32";
  return { op, args: [], to: dtype, value: constValue(k, value, dtype) };
}

const parsed = new Map<string, FusedProgram>();

/**
 * The steps and outputs of a `fused` node's attrs (`program`: a JSON string, `outputs`: value
 * indices). With `inputCount`, also checks that every arg and output refers to an existing,
 * earlier value. Throws a ShapeError/DTypeError naming `fused`, the step and its op.
 */
export function parseFusedProgram(attrs: Attrs, inputCount?: number): FusedProgram {
  const source = attrs.program;
  if (typeof source !== "string") fail(`attrs.program must be a JSON string of steps, got ${JSON.stringify(source)}`);
  const outputs = attrs.outputs;
  if (!Array.isArray(outputs) || outputs.length === 0 || !outputs.every(isIndex)) {
    fail(`attrs.outputs must be a non-empty list of value indices, got ${JSON.stringify(outputs)}`);
  }
  let program = parsed.get(source);
  if (!program) {
    let raw: unknown;
    try {
      raw = JSON.parse(source);
    } catch (err) {
      fail(`program is not valid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(raw)) fail("program must be a JSON array of steps");
    program = { steps: raw.map(parseStep), outputs: [] };
    if (parsed.size > 512) parsed.clear();
    parsed.set(source, program);
  }
  const result = { steps: program.steps, outputs: [...(outputs as number[])] };
  if (inputCount !== undefined) checkIndices(result, inputCount);
  return result;
}

function checkIndices({ steps, outputs }: FusedProgram, inputCount: number): void {
  steps.forEach((step, k) => {
    const available = inputCount + k;
    for (const a of step.args) {
      if (a >= available) fail(`step ${k} (${step.op}) reads value ${a}, but only values 0..${available - 1} exist before it (${inputCount} inputs)`);
    }
  });
  const total = inputCount + steps.length;
  for (const o of outputs)
    if (o >= total) fail(`output index ${o} is out of range: the program has ${total} values (${inputCount} inputs, ${steps.length} steps)`);
}

/** The shape every output of `fused` has: the broadcast of all input shapes ([] without inputs). */
export function fusedOutputShape(inputs: readonly TensorMeta[]): number[] {
  return broadcastShapes("fused", ...inputs.map((m) => m.shape as Shape));
}

/**
 * Shape and dtype of every value index (the inputs, then each step's result as the unfused op's
 * infer gives it; a const is a scalar of its `to`). Errors name `fused`, the step and its op.
 */
export function fusedValueTypes(steps: readonly FusedStep[], inputs: readonly TensorMeta[]): TensorMeta[] {
  checkIndices({ steps, outputs: [] }, inputs.length);
  const metas: TensorMeta[] = [...inputs];
  steps.forEach((step, k) => {
    if (step.op === "const") {
      metas.push({ shape: [], dtype: step.to ?? "float32" });
      return;
    }
    try {
      const [meta] = FUSIBLE_PRIMITIVES.get(step.op)!.infer(
        step.args.map((a) => metas[a]!),
        step.op === "cast" ? { to: step.to! } : {},
      );
      metas.push(meta!);
    } catch (err) {
      if (!(err instanceof PolychipError)) throw err;
      const Kind = err instanceof DTypeError ? DTypeError : ShapeError;
      throw new Kind(`fused: step ${k} (${step.op}): ${err.message}`);
    }
  });
  return metas;
}
