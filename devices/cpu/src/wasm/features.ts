/**
 * WebAssembly features the kernels can use, probed by validating tiny modules: fixed-width SIMD
 * (required) and relaxed SIMD (its fused multiply-add speeds the GEMM up by about a quarter).
 */

/** (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd) */
const RELAXED_MADD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 0x60, 3, 0x7b, 0x7b, 0x7b, 1, 0x7b, 3, 2, 1, 0, 10, 13, 1, 11, 0, 0x20, 0, 0x20, 1, 0x20, 2, 0xfd, 0x85, 0x02, 0x0b,
]);

/** (func (param v128) (result v128) local.get 0 local.get 0 f32x4.add) */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 0x60, 1, 0x7b, 1, 0x7b, 3, 2, 1, 0, 10, 11, 1, 9, 0, 0x20, 0, 0x20, 0, 0xfd, 0xe4, 0x01, 0x0b,
]);

export function simdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
}

function environment(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/**
 * Whether f32x4.relaxed_madd is a hardware fused multiply-add here. Where the CPU (or the VM in
 * front of it) has no FMA, V8 emulates it and the fused kernel runs slower than a plain multiply
 * and add — so the fused GEMM is chosen only when a·b + c keeps the low bits a separate multiply
 * rounds away: (1 + 2^-12)² - (1 + 2^-11) is 2^-24 fused and 0 unfused.
 */
export function relaxedMaddFuses(): boolean {
  // (func (param f32 f32 f32) (result f32) splat each, relaxed_madd, extract lane 0)
  const bytes = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 0x60, 3, 0x7d, 0x7d, 0x7d, 1, 0x7d, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 22, 1, 20, 0, 0x20, 0, 0xfd, 0x13, 0x20, 1,
    0xfd, 0x13, 0x20, 2, 0xfd, 0x13, 0xfd, 0x85, 0x02, 0xfd, 0x1f, 0, 0x0b,
  ]);
  try {
    const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f as (a: number, b: number, c: number) => number;
    return f(1 + 2 ** -12, 1 + 2 ** -12, -(1 + 2 ** -11)) === 2 ** -24;
  } catch {
    return false;
  }
}

/**
 * Whether relaxed SIMD is available. Browsers (Chrome 114+, Firefox 120+) and Node 22+ ship it;
 * Node 20 has it behind --experimental-wasm-relaxed-simd, which V8 reads when it validates a
 * module, so the flag is switched on here before the kernels compile. POLYCHIP_CPU_RELAXED_SIMD=0
 * keeps the plain-SIMD kernels.
 */
export function relaxedSimdSupported(): boolean {
  if (environment("POLYCHIP_CPU_RELAXED_SIMD") === "0" || typeof WebAssembly !== "object") return false;
  if (WebAssembly.validate(RELAXED_MADD_PROBE)) return true;
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  const v8 = proc?.versions?.node ? (proc.getBuiltinModule?.("node:v8") as { setFlagsFromString?: (flags: string) => void } | undefined) : undefined;
  if (!v8?.setFlagsFromString) return false;
  try {
    v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    return false;
  }
  return WebAssembly.validate(RELAXED_MADD_PROBE);
}
