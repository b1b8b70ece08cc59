/**
 * GEMM epilogues: a conv2d, matmul or conv2dGradInput whose result goes straight through a small elementwise
 * program (bias, activation, residual add, scale), so a device can apply the program while the
 * product is still in registers instead of storing it and reading it back. Read here, once, for
 * every reader (infer, decomposition, device kernels, graph passes).
 */
import type { Attrs } from "../device.ts";
import { DTypeError, PolychipError, ShapeError } from "../errors.ts";
import { broadcastShapes, formatShape, shapesEqual, type Shape } from "../shape.ts";
import { numAttr } from "./attrs.ts";
import { fusedValueTypes, parseFusedProgram, type FusedProgram } from "./fused-program.ts";
import type { Decomposition, OpDef, TensorMeta } from "./types.ts";

/** Each epilogue op and the GEMM it runs first, with how many inputs that GEMM may take. */
export const EPILOGUE_BASES: Readonly<Record<string, { readonly base: string; readonly inputs: readonly [number, number]; readonly args: string }>> = {
  conv2dEpilogue: { base: "conv2d", inputs: [2, 3], args: "x, w, bias?" },
  matmulEpilogue: { base: "matmul", inputs: [2, 2], args: "a, b" },
  // A transposed convolution (ONNX ConvTranspose) and the input gradient of a training step.
  conv2dGradInputEpilogue: { base: "conv2dGradInput", inputs: [2, 2], args: "gradOut, w" },
  // HAL 1.6: a channels-last conv (see conv2dNhwc).
  conv2dNhwcEpilogue: { base: "conv2dNhwc", inputs: [2, 3], args: "x, w, bias?" },
};

/** The attributes the epilogue adds to its base op's: they are not passed on to the base op. */
const EPILOGUE_ATTRS = new Set(["program", "outputs", "baseInputs"]);

export interface Epilogue {
  /** The GEMM op (conv2d, matmul, conv2dGradInput) and the attrs it gets. */
  readonly base: string;
  readonly baseAttrs: Attrs;
  /** How many of the node's inputs are the base op's; the rest are the program's inputs 1.. (input 0 is the GEMM result). */
  readonly baseInputs: number;
  readonly program: FusedProgram;
  /** The attrs of the `fused` op that runs the program unfused. */
  readonly fusedAttrs: Attrs;
}

/**
 * The parts of an epilogue node's attrs, checked against its input count: the base op, its attrs
 * and input count (`attrs.baseInputs`), and the program over [GEMM result, extra inputs...].
 */
export function parseEpilogue(op: string, attrs: Attrs, inputCount: number): Epilogue {
  const kept = parsedEpilogues.get(attrs);
  if (kept && kept.op === op && kept.inputCount === inputCount) return kept.epilogue;
  const epilogue = readEpilogue(op, attrs, inputCount);
  parsedEpilogues.set(attrs, { op, inputCount, epilogue });
  return epilogue;
}

/**
 * Epilogues read before, by attrs object (device kernels parse on every call, with the node's
 * same attrs each run; attrs objects are not changed once a node holds them), with the op and
 * input count they were read for. Errors are never kept.
 */
const parsedEpilogues = new WeakMap<Attrs, { readonly op: string; readonly inputCount: number; readonly epilogue: Epilogue }>();

function readEpilogue(op: string, attrs: Attrs, inputCount: number): Epilogue {
  const spec = EPILOGUE_BASES[op];
  if (!spec) throw new ShapeError(`${op}: not an epilogue op (known: ${Object.keys(EPILOGUE_BASES).join(", ")})`);
  const baseInputs = numAttr(op, attrs, "baseInputs");
  if (!Number.isInteger(baseInputs) || baseInputs < spec.inputs[0] || baseInputs > spec.inputs[1] || baseInputs > inputCount) {
    throw new ShapeError(
      `${op}: attrs.baseInputs must be ${[...new Set(spec.inputs)].join(" or ")} (the ${spec.base} inputs, of ${inputCount}), got ${JSON.stringify(attrs.baseInputs)}`,
    );
  }
  const fusedAttrs: Attrs = { program: attrs.program, outputs: attrs.outputs };
  const program = named(op, () => parseFusedProgram(fusedAttrs, 1 + inputCount - baseInputs));
  const baseAttrs: Attrs = Object.fromEntries(Object.entries(attrs).filter(([k]) => !EPILOGUE_ATTRS.has(k)));
  return { base: spec.base, baseAttrs, baseInputs, program, fusedAttrs };
}

/** Runs `read`, prefixing a HAL error with the epilogue op's name (kept as a ShapeError or DTypeError). */
function named<T>(op: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof PolychipError)) throw err;
    const Kind = err instanceof DTypeError ? DTypeError : ShapeError;
    throw new Kind(`${op}: epilogue ${err.message}`);
  }
}

/**
 * Output metas: the GEMM's shape (the extra inputs broadcast to it and may not enlarge it) and
 * the dtype of each program output's value.
 */
function inferEpilogue(op: string, getBase: (name: string) => OpDef): OpDef["infer"] {
  return (ins, attrs) => {
    const e = parseEpilogue(op, attrs, ins.length);
    const [y] = getBase(e.base).infer(ins.slice(0, e.baseInputs), e.baseAttrs);
    const programInputs: TensorMeta[] = [y!, ...ins.slice(e.baseInputs)];
    const shape = broadcastShapes(op, ...programInputs.map((m) => m.shape as Shape));
    if (!shapesEqual(shape, y!.shape)) {
      throw new ShapeError(
        `${op}: extra inputs ${programInputs
          .slice(1)
          .map((m) => formatShape(m.shape))
          .join(", ")} broadcast the ${e.base} result ${formatShape(y!.shape)} to ${formatShape(shape)}; they must broadcast to the result's shape`,
      );
    }
    const metas = named(op, () => fusedValueTypes(e.program.steps, programInputs));
    return e.program.outputs.map((o) => ({ shape: y!.shape, dtype: metas[o]!.dtype }));
  };
}

/** The base op, then the program as a `fused` op over [its result, extra inputs...]: what a device without a kernel runs. */
function decomposeEpilogue(op: string): Decomposition {
  return (ctx, inputs, attrs) => {
    const e = parseEpilogue(op, attrs, inputs.length);
    const y = ctx.call(e.base, inputs.slice(0, e.baseInputs), e.baseAttrs);
    const extras = inputs.slice(e.baseInputs);
    if (e.program.outputs.length === 1) return [ctx.call("fused", [y, ...extras], e.fusedAttrs)];
    // DecompositionContext.call gives one output: each output is its own single-output program.
    return e.program.outputs.map((o) => ctx.call("fused", [y, ...extras], { program: e.fusedAttrs.program, outputs: [o] }));
  };
}

/** One composite per entry of EPILOGUE_BASES (`getBase` finds conv2d, matmul, ... without an import cycle). */
export function epilogueOps(getBase: (name: string) => OpDef): OpDef[] {
  return Object.entries(EPILOGUE_BASES).map(([name, { base, args }]) => ({
    name,
    kind: "composite",
    family: "nn",
    inputs: [2, Infinity],
    doc: `${base}(${args}) then an elementwise program over [its result, extra inputs...]: attrs as ${base} plus baseInputs, program, outputs (as fused); outputs take the ${base} result's shape`,
    infer: inferEpilogue(name, getBase),
    decompose: decomposeEpilogue(name),
  }));
}
