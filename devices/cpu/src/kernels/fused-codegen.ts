import { fusedValueTypes, isFloat, type DType, type FusedProgram, type FusedStep, type TensorMeta } from "@polychip/hal";

/**
 * JavaScript source for one `fused` program: one loop over the output in which every step is an
 * expression on locals, rounded to its dtype as the unfused op's store would round it (float32
 * Math.fround, float16 R, integers wrap), so the result equals the eager ops bit for bit.
 *
 * Scalar semantics are the HAL's (`UNARY_SCALAR`, `BINARY_SCALAR`): the short ones are inlined with
 * the same formula (a test checks every op on edge values against the HAL tables); the rest call
 * the HAL function, passed in as `U` / `BS`.
 *
 * Layout "flat": each input is contiguous with the output or a single element (read once).
 * Layout "strided": inputs are read through per-input strides over an odometer on the (collapsed)
 * output shape; single-element inputs are still read once.
 */
export type FusedLayout = "flat" | "strided";

/** Closures the generated source refers to: HAL unary and binary tables, the float16 decode table, round-to-half, float→half bits. */
export const CLOSURE_PARAMS = ["U", "BS", "H", "R", "F"] as const;

const INLINE_UNARY: Readonly<Record<string, (a: string) => string>> = {
  neg: (a) => `-${a}`,
  abs: (a) => `Math.abs(${a})`,
  sign: (a) => `Math.sign(${a})`,
  exp: (a) => `Math.exp(${a})`,
  log: (a) => `Math.log(${a})`,
  sqrt: (a) => `Math.sqrt(${a})`,
  rsqrt: (a) => `1 / Math.sqrt(${a})`,
  reciprocal: (a) => `1 / ${a}`,
  sin: (a) => `Math.sin(${a})`,
  cos: (a) => `Math.cos(${a})`,
  tanh: (a) => `Math.tanh(${a})`,
  sigmoid: (a) => `1 / (1 + Math.exp(-${a}))`,
  relu: (a) => `(${a} > 0 || ${a} !== ${a} ? ${a} : 0)`,
  floor: (a) => `Math.floor(${a})`,
  ceil: (a) => `Math.ceil(${a})`,
  isNaN: (a) => `(${a} !== ${a} ? 1 : 0)`,
  logicalNot: (a) => `(${a} === 0 ? 1 : 0)`,
};

type Binary = (a: string, b: string) => string;
const both = (f: Binary): [Binary, Binary] => [f, f];

/** [float, integer] forms, as BINARY_SCALAR pairs them. */
const INLINE_BINARY: Readonly<Record<string, readonly [Binary, Binary]>> = {
  add: both((a, b) => `${a} + ${b}`),
  sub: both((a, b) => `${a} - ${b}`),
  mul: [(a, b) => `${a} * ${b}`, (a, b) => `Math.imul(${a}, ${b})`],
  div: [(a, b) => `${a} / ${b}`, (a, b) => `(${b} === 0 ? 0 : Math.trunc(${a} / ${b}))`],
  maximum: both((a, b) => `Math.max(${a}, ${b})`),
  minimum: both((a, b) => `Math.min(${a}, ${b})`),
  equal: both((a, b) => `(${a} === ${b} ? 1 : 0)`),
  notEqual: both((a, b) => `(${a} !== ${b} ? 1 : 0)`),
  less: both((a, b) => `(${a} < ${b} ? 1 : 0)`),
  lessEqual: both((a, b) => `(${a} <= ${b} ? 1 : 0)`),
  greater: both((a, b) => `(${a} > ${b} ? 1 : 0)`),
  greaterEqual: both((a, b) => `(${a} >= ${b} ? 1 : 0)`),
  logicalAnd: both((a, b) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`),
  logicalOr: both((a, b) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`),
  logicalXor: both((a, b) => `((${a} !== 0) !== (${b} !== 0) ? 1 : 0)`),
};

/** The cast rule (convert.ts) before the store rounds: saturation for int8/uint8, truthiness for bool. */
function castExpr(a: string, to: DType): string {
  switch (to) {
    case "bool":
      return `(${a} !== 0 ? 1 : 0)`;
    case "int8":
      return `(${a} !== ${a} ? 0 : ${a} >= 127 ? 127 : ${a} <= -128 ? -128 : Math.trunc(${a}))`;
    case "uint8":
      return `(${a} !== ${a} ? 0 : ${a} >= 255 ? 255 : ${a} <= 0 ? 0 : Math.trunc(${a}))`;
    default:
      return a;
  }
}

/** What storing `e` into an array of `dtype` does to it (Int32Array wraps, Float32Array rounds, ...). */
function stored(e: string, dtype: DType): string {
  switch (dtype) {
    case "float32":
      return `Math.fround(${e})`;
    case "float16":
      return `R(${e})`;
    case "int32":
      return `(${e}) | 0`;
    case "int8":
      return `((${e}) << 24) >> 24`;
    case "uint8":
      return `(${e}) & 255`;
    case "bool":
      return e; // every bool-valued expression above already gives 0 or 1
  }
}

/** Ops whose float32 result from float32 arguments is already a float32: no rounding needed. */
const EXACT_IN_FLOAT32 = new Set(["neg", "abs", "sign", "relu", "floor", "ceil", "maximum", "minimum", "where"]);

function stepExpr(step: FusedStep, args: string[], argTypes: TensorMeta[], out: DType): string {
  const [a, b, c] = args as [string, string, string];
  if (step.op === "const") return stored(numberLiteral(step.value!), out);
  if (step.op === "cast") return stored(castExpr(a, step.to!), out);
  if (step.op === "where") return `(${a} !== 0 ? ${b} : ${c})`;
  const unary = INLINE_UNARY[step.op];
  const float = isFloat(argTypes[0]!.dtype);
  let e: string;
  if (args.length === 1) e = unary ? unary(a) : `U.${step.op}(${a})`;
  else {
    const binary = INLINE_BINARY[step.op];
    e = binary ? binary[float ? 0 : 1](a, b) : `BS.${step.op}[${float ? 0 : 1}](${a}, ${b})`;
  }
  if (out === "float32" && float && argTypes[0]!.dtype === "float32" && EXACT_IN_FLOAT32.has(step.op)) return e;
  return stored(e, out);
}

/**
 * A float32 pow by the const 2: the square of a float32 is exact in float64, as is the C pow of it
 * by 2, so x * x rounded once is the same number, without the call per element (and what the WASM
 * loop computes for it).
 */
function isFloat32Square(step: FusedStep, steps: readonly FusedStep[], inputs: number, argTypes: readonly TensorMeta[], out: DType): boolean {
  const exponent = step.args[1]! >= inputs ? steps[step.args[1]! - inputs] : undefined;
  return (
    step.op === "pow" &&
    exponent?.op === "const" &&
    exponent.value === 2 &&
    argTypes[0]!.dtype === "float32" &&
    argTypes[1]!.dtype === "float32" &&
    out === "float32"
  );
}

function numberLiteral(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

/** An element read from input storage as the value kernels compute with (float16 decoded, bool as 0/1). */
function readExpr(raw: string, dtype: DType): string {
  if (dtype === "float16") return `H[${raw}]`;
  if (dtype === "bool") return `(${raw} !== 0 ? 1 : 0)`;
  return raw;
}

function storeExpr(v: string, dtype: DType): string {
  return dtype === "float16" ? `F(${v})` : v;
}

/**
 * The source of the kernel function `(I, IO, O, OO, n, B, S) => void` for `program` on inputs of
 * `inputs` (their dtypes; shapes only matter for validation), in `layout`, with `scalar[k]` marking
 * inputs of one element. I/IO: input storage arrays and offsets; O/OO: output storage arrays and
 * offsets (contiguous outputs); n: element count; B, S: the (collapsed) output shape and each
 * input's strides over it (strided layout only).
 */
export function generateFusedSource(program: FusedProgram, inputs: readonly TensorMeta[], layout: FusedLayout, scalar: readonly boolean[]): string {
  const { steps, outputs } = program;
  const N = inputs.length;
  const types = fusedValueTypes(steps, inputs);
  const used = new Set<number>(outputs);
  for (const s of steps) for (const a of s.args) used.add(a);
  const invariant: boolean[] = types.map((_, k) => (k < N ? scalar[k]! : false));
  steps.forEach((s, k) => {
    invariant[N + k] = s.args.every((a) => invariant[a]);
  });

  const head: string[] = [];
  const hoisted: string[] = [];
  const body: string[] = [];
  const streamed: number[] = [];
  for (let k = 0; k < N; k++) {
    if (!used.has(k)) continue;
    head.push(`const x${k} = I[${k}];`);
    if (scalar[k]) hoisted.push(`const v${k} = ${readExpr(`x${k}[IO[${k}]]`, inputs[k]!.dtype)};`);
    else {
      streamed.push(k);
      if (layout === "flat") {
        head.push(`const o${k} = IO[${k}];`);
        body.push(`const v${k} = ${readExpr(`x${k}[o${k} + i]`, inputs[k]!.dtype)};`);
      } else {
        head.push(`let q${k} = IO[${k}];`, `const S${k} = S[${k}];`, `const t${k} = S${k}[r - 1];`);
        body.push(`const v${k} = ${readExpr(`x${k}[a${k}]`, inputs[k]!.dtype)};`);
      }
    }
  }
  steps.forEach((step, k) => {
    const args = step.args.map((a) => `v${a}`);
    const argTypes = step.args.map((a) => types[a]!);
    const out = types[N + k]!.dtype;
    const line = `const v${N + k} = ${isFloat32Square(step, steps, N, argTypes, out) ? stored(`${args[0]} * ${args[0]}`, out) : stepExpr(step, args, argTypes, out)};`;
    (invariant[N + k] ? hoisted : body).push(line);
  });
  outputs.forEach((o, m) => {
    head.push(`const y${m} = O[${m}], p${m} = OO[${m}];`);
    body.push(`y${m}[p${m} + i] = ${storeExpr(`v${o}`, types[o]!.dtype)};`);
  });

  const lines = [`// fused: ${JSON.stringify(steps)} -> [${outputs.join(", ")}] (${layout})`, "return function fusedKernel(I, IO, O, OO, n, B, S) {"];
  const ind = (depth: number, xs: string[]) => xs.map((l) => "  ".repeat(depth) + l);
  if (layout === "flat") {
    lines.push(...ind(1, head), ...ind(1, hoisted), "  for (let i = 0; i < n; i++) {", ...ind(2, body), "  }");
  } else {
    const pointers = streamed.map((k) => `a${k} = q${k}`).join(", ");
    const steps = streamed.map((k) => `, a${k} += t${k}`).join("");
    lines.push(
      "  const r = B.length, inner = B[r - 1], c = new Int32Array(r);",
      ...ind(1, head),
      ...ind(1, hoisted),
      "  for (let o = 0; o < n; o += inner) {",
      `    for (let j = 0${pointers ? `, ${pointers}` : ""}; j < inner; j++${steps}) {`,
      "      const i = o + j;",
      ...ind(3, body),
      "    }",
      "    for (let d = r - 2; d >= 0; d--) {",
      ...streamed.map((k) => `      q${k} += S${k}[d];`),
      "      if (++c[d] < B[d]) break;",
      ...streamed.map((k) => `      q${k} -= S${k}[d] * B[d];`),
      "      c[d] = 0;",
      "    }",
      "  }",
    );
  }
  lines.push("};");
  return lines.join("\n");
}
