/**
 * A WebAssembly module for one `fused` program over float32, float16, bool, int32, uint8 and int8
 * values whose ops are single IEEE operations or exact integer / bit operations: arithmetic (add,
 * sub, mul, div, maximum, minimum, neg, abs, sqrt, reciprocal, floor, ceil, round, relu, pow by a
 * const 2), comparisons, isNaN, logical ops, where, casts, and consts (the integer forms and casts
 * are in fused-integer.ts, the float16 rounding in fused-half.ts). Each float step is one correctly
 * rounded f32 operation, so the result equals the reference (float64, rounded once) bit for bit.
 * exp, sigmoid and tanh call float64 functions that return Math's doubles (../fused-math.ts),
 * rounded once as well (to float32 only: rounding to float32 and then to half could differ from
 * one rounding to half, so a float16 result of those stays in JavaScript).
 *
 * Values live in v128 locals: float32 and float16 as f32x4, bool as an i32x4 lane mask (all ones
 * or zero), integers as i32x4 lanes. The output is walked as rows (fast/rows.ts planRows), the way the binary
 * elementwise kernels broadcast: each input either advances along the row (vector loads) or is
 * constant along it (a broadcast row or a single element, splatted once per row). Each row does
 * four outputs per step, then a tail of one element per step through the same lane code. Exported
 * `run(in0.., out0.., total, rowLen, rows, table, rowsPerChunk, chunk0, chunk1, scratch)`: byte
 * addresses, then a chunk of rows in the calling convention of the worker pool.
 *
 * programForms / constInit also give scalar forms, for the float32 GEMM epilogue's tail
 * (gemm-epilogue.ts); wasmCanRun says which programs that epilogue can take.
 */
import { float16BitsToFloat32, float32ToFloat16Bits, type DType, type FusedStep, type TensorMeta } from "@polychip/hal";
import { ModuleBuilder, type Code } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { f32, f32x4, get, i32, i32x4, inc, minS, select, set, v128, whileLoop } from "../instructions.ts";
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS } from "./elementwise.ts";
import { FUSED_MATH_OPS, fusedMathForms, type MathForm } from "../fused-math.ts";
import { roundToHalf } from "./fused-half.ts";
import { elementBytes, integerConstValue, integerForm, loadFour, loadOne, LOOP_DTYPES, storeFour, storeOne, type VectorForm } from "./fused-integer.ts";

const BIT_OPS = ["isNaN", "logicalNot", "logicalAnd", "logicalOr", "logicalXor", "where", "cast", "const"];

/** The ops a program may use to run in WASM, when every value is float32 or bool. */
export const WASM_FUSED_OPS: ReadonlySet<string> = new Set([
  ...Object.keys(BINARY_OPS),
  ...Object.keys(UNARY_OPS),
  ...Object.keys(COMPARE_OPS),
  ...BIT_OPS,
  ...FUSED_MATH_OPS,
]);

/**
 * A float32 pow whose exponent is the const 2 (an STFT's |X|²): x·x is one correctly rounded f32
 * multiply, and the reference's float64 pow of a float32 is the exact square rounded once, so the
 * two agree bit for bit (NaN, ±Inf and ±1 included). `inputs` counts the values before the steps.
 */
function isSquare(step: FusedStep, steps: readonly FusedStep[], inputs: number): boolean {
  const exponent = steps[step.args[1]! - inputs];
  return step.op === "pow" && step.args[1]! >= inputs && exponent?.op === "const" && exponent.value === 2 && exponent.to !== "bool";
}

/** Whether the loop emits `step` of a program with `inputs` values before its steps (its op, or pow by a const 2). */
export function stepRunsInWasm(step: FusedStep, steps: readonly FusedStep[], inputs: number): boolean {
  return WASM_FUSED_OPS.has(step.op) || isSquare(step, steps, inputs);
}

/** Whether a program can run in the GEMM epilogue's vector and scalar forms: float32 and bool values only (the HAL's infer has already checked each op's dtypes). */
export function wasmCanRun(steps: readonly FusedStep[], types: readonly TensorMeta[]): boolean {
  const inputs = types.length - steps.length;
  return steps.every((s) => stepRunsInWasm(s, steps, inputs)) && types.every((m) => m.dtype === "float32" || m.dtype === "bool");
}

const ONE_BITS = 0x3f800000;

/** Code for one step from its arguments' code; `temp` is a scratch local of the form's kind (v128 or f32). */
export type Form = (args: Code[], temp: number) => Code;

/**
 * Vector and scalar code for each step of a program whose value types are `types` (the inputs',
 * then each step's): undefined for a const, which constInit sets once before any loop. `math`:
 * the module's exp/sigmoid/tanh forms (fusedMathForms), needed when the program has those steps.
 */
export function programForms(
  steps: readonly FusedStep[],
  types: readonly TensorMeta[],
  math: Readonly<Record<string, MathForm>> = {},
): ({ v: Form; s: Form } | undefined)[] {
  const inputs = types.length - steps.length;
  return steps.map((s) => {
    if (s.op === "const") return undefined;
    if (isSquare(s, steps, inputs)) return { v: ([a]: Code[]) => f32x4.mul(a!, a!), s: ([a]: Code[]) => f32.mul(a!, a!) };
    return (
      math[s.op] ??
      stepForms(
        s,
        s.args.map((a) => types[a]!.dtype),
      )
    );
  });
}

/** Sets a const step's vector and scalar locals (a bool as a lane mask and 0/1); no code for any other step. */
export function constInit(s: FusedStep, vec: number, sca: number): Code {
  if (s.op !== "const") return [];
  if (s.to === "bool") return [set(sca, i32.const(s.value ? 1 : 0)), set(vec, i32x4.splat(i32.const(s.value ? -1 : 0)))];
  return [set(vec, f32x4.const(s.value!)), set(sca, f32.const(s.value!))];
}

/** Vector and scalar code for one step, given its argument dtypes. */
function stepForms(step: FusedStep, argTypes: readonly DType[]): { v: Form; s: Form } {
  const op = step.op;
  const binary = BINARY_OPS[op];
  if (binary) return { v: ([a, b]) => binary.v(a!, b!), s: ([a, b]) => binary.s(a!, b!) };
  const unary = UNARY_OPS[op];
  if (unary) return { v: ([a], t) => unary.v(a!, t), s: ([a], t) => unary.s(a!, t) };
  const compare = COMPARE_OPS[op];
  if (compare && argTypes[0] === "float32") return { v: ([a, b]) => compare.v(a!, b!), s: ([a, b]) => compare.s(a!, b!) };
  switch (op) {
    case "equal":
      return { v: ([a, b]) => i32x4.eq(a!, b!), s: ([a, b]) => i32.eq(a!, b!) };
    case "notEqual":
      return { v: ([a, b]) => i32x4.ne(a!, b!), s: ([a, b]) => i32.ne(a!, b!) };
    case "isNaN":
      return { v: ([a]) => f32x4.ne(a!, a!), s: ([a]) => f32.ne(a!, a!) };
    case "logicalNot":
      return { v: ([a]) => v128.not(a!), s: ([a]) => i32.eqz(a!) };
    case "logicalAnd":
      return { v: ([a, b]) => v128.and(a!, b!), s: ([a, b]) => i32.and(a!, b!) };
    case "logicalOr":
      return { v: ([a, b]) => v128.or(a!, b!), s: ([a, b]) => i32.or(a!, b!) };
    case "logicalXor":
      return { v: ([a, b]) => v128.xor(a!, b!), s: ([a, b]) => i32.xor(a!, b!) };
    case "where":
      return { v: ([c, a, b]) => v128.bitselect(a!, b!, c!), s: ([c, a, b]) => select(a!, b!, c!) };
    case "cast":
      return castForms(argTypes[0]!, step.to!);
  }
  throw new Error(`cpu: the fused WASM emitter has no form for ${op}`);
}

/** cast between float32 and bool: to bool is x != 0 (NaN is true), from bool 1.0 or 0.0. */
function castForms(from: DType, to: DType): { v: Form; s: Form } {
  if (from === to) return { v: ([a]) => a!, s: ([a]) => a! };
  if (to === "bool") return { v: ([a]) => f32x4.ne(a!, f32x4.const(0)), s: ([a]) => f32.ne(a!, f32.const(0)) };
  return { v: ([a]) => v128.and(a!, i32x4.splat(i32.const(ONE_BITS))), s: ([a]) => select(f32.const(1), f32.const(0), a!) };
}

/** Ops whose float result from float16 arguments is already a float16: no rounding to half after them. */
const EXACT_IN_HALF = new Set(["maximum", "minimum", "neg", "abs", "relu", "floor", "ceil", "round", "where"]);

/** float16 values are float32 lanes in the loop: forms are chosen as for float32, then a float16 result is rounded. */
const laneType = (dtype: DType): DType => (dtype === "float16" ? "float32" : dtype);

/**
 * A step's vector form: float32/bool ones are fused.ts's own, integer ones fused-integer.ts's, and
 * a float16 result is the float32 result rounded to half (fused-half.ts). Undefined: the loop has none.
 */
function vectorForm(
  step: FusedStep,
  steps: readonly FusedStep[],
  types: readonly TensorMeta[],
  k: number,
  math?: Readonly<Record<string, MathForm>>,
): VectorForm | undefined {
  const inputs = types.length - steps.length;
  const argTypes = step.args.map((a) => laneType(types[a]!.dtype));
  const out = laneType(types[inputs + k]!.dtype);
  let form: VectorForm | undefined;
  if (isMathOp(step.op)) {
    if (types[inputs + k]!.dtype !== "float32") return undefined;
    // Without the module's forms (asking only whether the loop can run it), a placeholder that is never emitted.
    return math ? math[step.op]!.v : NOT_EMITTED;
  }
  if ([...argTypes, out].every((t) => t === "float32" || t === "bool")) {
    if (isSquare(step, steps, inputs)) form = ([a]) => f32x4.mul(a!, a!);
    // A cast's target as a lane type too: float32 → float16 is the float32 value, rounded below.
    else form = WASM_FUSED_OPS.has(step.op) ? stepForms(step.op === "cast" ? { ...step, to: out } : step, argTypes).v : undefined;
  } else form = integerForm(step, argTypes, out);
  if (!form || types[inputs + k]!.dtype !== "float16" || EXACT_IN_HALF.has(step.op)) return form;
  const unrounded = form;
  return (args, temp) => roundToHalf(unrounded(args, temp), temp);
}

const isMathOp = (op: string): boolean => (FUSED_MATH_OPS as readonly string[]).includes(op);

const NOT_EMITTED: VectorForm = () => {
  throw new Error("cpu: a fused math step was emitted without the module's math forms");
};

/** Whether the loop has a form for step k of a program with these value types (a const always has one). */
export function stepRunsInLoop(steps: readonly FusedStep[], types: readonly TensorMeta[], k: number): boolean {
  return steps[k]!.op === "const" || vectorForm(steps[k]!, steps, types, k) !== undefined;
}

/** Whether the loop can run a program with these value types (LOOP_DTYPES), each step with a vector form. */
export function loopCanRun(steps: readonly FusedStep[], types: readonly TensorMeta[]): boolean {
  return types.every((m) => LOOP_DTYPES.has(m.dtype)) && steps.every((_, k) => stepRunsInLoop(steps, types, k));
}

/** A const step's vector local: a float32 splat (a float16 one rounded as the JavaScript stores it), a bool lane mask, or an integer as its dtype stores it. */
function vectorConst(s: FusedStep): Code {
  const to = s.to ?? "float32";
  if (to === "bool") return i32x4.splat(i32.const(s.value ? -1 : 0));
  if (to === "float32") return f32x4.const(s.value!);
  if (to === "float16") return f32x4.const(float16BitsToFloat32(float32ToFloat16Bits(s.value!)));
  return i32x4.splat(i32.const(integerConstValue(s.value!, to)));
}

/** The parameters of the exported `run`, in order, for `inputs` inputs and `outputs` outputs. */
export function fusedParamNames(inputs: number, outputs: number): string[] {
  const io = [...Array.from({ length: inputs }, (_, k) => `in${k}`), ...Array.from({ length: outputs }, (_, m) => `out${m}`)];
  return [...io, "total", "rowLen", "rows", "table", "rowsPerChunk", "chunk0", "chunk1", "scratch"];
}

/**
 * The module for one program. `rowConstant[k]` marks inputs that stay put along a row (a broadcast
 * row or a single element: loaded once per row and splatted); the others advance one element per
 * output element. Row r of the output starts at element r·rowLen; input k's row starts at byte
 * offset `table[r·inputs + k]` from its address.
 */
export function fusedModuleBytes(
  steps: readonly FusedStep[],
  outputs: readonly number[],
  types: readonly TensorMeta[],
  rowConstant: readonly boolean[],
  shared: boolean,
): Uint8Array<ArrayBuffer> {
  const N = rowConstant.length;
  const dtype = (k: number) => types[k]!.dtype;
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 65536, shared });
  const math = fusedMathForms(mod, steps);
  defineFunction(mod, "run", { params: i32Params(...fusedParamNames(N, outputs.length)) }, (p, fn) => {
    const param = (name: string) => (p as Record<string, number>)[name]!;
    const vec = locals(fn, "v128", types.length);
    // Scratch for the forms: vt, vt + 1 and vt + 2 (the float16 rounding uses the last two).
    const [vt] = locals(fn, "v128", 3);
    const [i, n, row, last, rowTable] = locals(fn, "i32", 5);
    const inPtr = locals(fn, "i32", N);
    const outPtr = locals(fn, "i32", outputs.length);
    /** Address of element i of a row of value k's dtype starting at `base`. */
    const at = (base: number, k: number): Code => {
      const shift = Math.log2(elementBytes(dtype(k)));
      return i32.add(get(base), shift === 0 ? get(i) : i32.shl(get(i), i32.const(shift)));
    };
    const forms = steps.map((s, k) => (s.op === "const" ? undefined : vectorForm(s, steps, types, k, math)));

    // Four elements per step; the tail runs the same lane code on one element (loaded into every lane, lane 0 stored).
    const body = (four: boolean): Code[] => [
      ...rowConstant.map((constant, k) => {
        if (constant) return [];
        const addr = at(inPtr[k]!, k);
        return set(vec[k]!, four ? loadFour(dtype(k), addr) : loadOne(dtype(k), addr));
      }),
      ...steps.map((s, k) => {
        if (s.op === "const") return []; // consts are set before the loops
        const form = forms[k];
        if (!form) throw new Error(`cpu: the fused WASM loop has no form for step ${k} (${s.op})`);
        return set(
          vec[N + k]!,
          form(
            s.args.map((a) => get(vec[a]!)),
            vt,
          ),
        );
      }),
      ...outputs.map((o, m) => {
        const addr = at(outPtr[m]!, o);
        return four ? storeFour(dtype(o), addr, get(vec[o]!), vt) : storeOne(dtype(o), addr, get(vec[o]!), vt);
      }),
    ];

    /** Per row: each input's start, the row-constant ones loaded and splatted, each output's start and the row's length. */
    const rowSetup: Code[] = [
      set(rowTable, i32.add(get(param("table")), i32.mul(get(row), i32.const(4 * N)))),
      ...rowConstant.map((constant, k) => {
        const setPtr = set(inPtr[k]!, i32.add(get(param(`in${k}`)), i32.load(get(rowTable), 4 * k)));
        return constant ? [setPtr, set(vec[k]!, loadOne(dtype(k), get(inPtr[k]!)))] : setPtr;
      }),
      ...outputs.map((o, m) =>
        set(outPtr[m]!, i32.add(get(param(`out${m}`)), i32.mul(i32.mul(get(row), get(param("rowLen"))), i32.const(elementBytes(dtype(o)))))),
      ),
      set(n, minS(i32.sub(get(param("total")), i32.mul(get(row), get(param("rowLen")))), get(param("rowLen")))),
    ];

    return [
      // Constants: built once.
      ...steps.map((s, k) => (s.op === "const" ? set(vec[N + k]!, vectorConst(s)) : [])),
      set(row, i32.mul(get(param("chunk0")), get(param("rowsPerChunk")))),
      set(last, minS(i32.mul(get(param("chunk1")), get(param("rowsPerChunk"))), get(param("rows")))),
      whileLoop(
        i32.lt_s(get(row), get(last)),
        ...rowSetup,
        set(i, i32.const(0)),
        whileLoop(i32.le_s(i32.add(get(i), i32.const(4)), get(n)), ...body(true), inc(i, 4)),
        whileLoop(i32.lt_s(get(i), get(n)), ...body(false), inc(i, 1)),
        inc(row, 1),
      ),
    ];
  });
  return mod.encode();
}
