import type { DType } from "@polychip/hal";

/** The WGSL type a kernel computes with: float16 widens to f32, the small integers to i32. */
export type Scalar = "f32" | "i32" | "bool";

export function scalarOf(dtype: DType): Scalar {
  switch (dtype) {
    case "float32":
    case "float16":
      return "f32";
    case "int32":
    case "int8":
    case "uint8":
      return "i32";
    case "bool":
      return "bool";
  }
}

/**
 * Elements per 32-bit storage word. WGSL storage has no 8- or 16-bit types without extensions, so
 * bool/int8/uint8 sit four to a u32 and float16 two to a u32; kernels extract and pack them.
 */
export function perWord(dtype: DType): 1 | 2 | 4 {
  switch (dtype) {
    case "float16":
      return 2;
    case "int8":
    case "uint8":
    case "bool":
      return 4;
    default:
      return 1;
  }
}

function wordType(dtype: DType): string {
  return dtype === "float32" ? "f32" : dtype === "int32" ? "i32" : "u32";
}

/** A read-only input binding and its loader `ld_<name>(elementIndex) -> Scalar`. */
export function inputBinding(binding: number, name: string, dtype: DType): string {
  const decl = `@group(0) @binding(${binding}) var<storage, read> ${name}: array<${wordType(dtype)}>;`;
  const s = scalarOf(dtype);
  let body: string;
  switch (dtype) {
    case "float32":
    case "int32":
      body = `return ${name}[i];`;
      break;
    case "float16":
      body = `return f16_to_f32((${name}[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu);`;
      break;
    case "int8":
      body = `return bitcast<i32>(${name}[i >> 2u] << (24u - (i & 3u) * 8u)) >> 24u;`;
      break;
    case "uint8":
      body = `return i32((${name}[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu);`;
      break;
    case "bool":
      body = `return ((${name}[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu) != 0u;`;
      break;
  }
  return `${decl}\nfn ld_${name}(i: u32) -> ${s} { ${body} }`;
}

/** The low bits that store a computed value in a packed dtype. */
export function packedBits(dtype: DType, value: string): string {
  switch (dtype) {
    case "float16":
      return `f32_to_f16(${value})`;
    case "int8":
    case "uint8":
      return `(bitcast<u32>(${value}) & 0xffu)`;
    case "bool":
      return `select(0u, 1u, ${value})`;
    default:
      throw new Error(`${dtype} is not a packed dtype`);
  }
}

/**
 * An output binding that any invocation may write element by element: `st_<name>(index, value)`.
 * Packed dtypes use atomic and/or on the containing word, because neighbouring elements of one
 * word may be written by other invocations at the same time.
 */
export function scatterOutputBinding(binding: number, name: string, dtype: DType): string {
  const s = scalarOf(dtype);
  const p = perWord(dtype);
  if (p === 1) {
    return [
      `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<${wordType(dtype)}>;`,
      `fn st_${name}(i: u32, v: ${s}) { ${name}[i] = v; }`,
    ].join("\n");
  }
  const bits = 32 / p;
  const mask = p === 2 ? "0xffffu" : "0xffu";
  return [
    `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<atomic<u32>>;`,
    `fn st_${name}(i: u32, v: ${s}) {`,
    `  let w = i / ${p}u; let sh = (i % ${p}u) * ${bits}u;`,
    `  atomicAnd(&${name}[w], ~(${mask} << sh));`,
    `  atomicOr(&${name}[w], (${packedBits(dtype, "v")} & ${mask}) << sh);`,
    `}`,
  ].join("\n");
}

/** A WGSL literal of a scalar type (finite values only: infinities and NaN come from prelude functions). */
export function literal(s: Scalar, value: number): string {
  if (s === "bool") return value !== 0 ? "true" : "false";
  if (s === "i32") return (value | 0) === -2147483648 ? "bitcast<i32>(0x80000000u)" : `${value | 0}i`;
  if (!Number.isFinite(value)) throw new Error(`literal: ${value} cannot be written in WGSL`);
  return `${Math.fround(value)}f`;
}
