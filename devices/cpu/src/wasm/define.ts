import type { Code, FunctionBuilder, ModuleBuilder, ValType } from "./encoder.ts";

/** Local indices by name: the parameters, in declaration order. */
export type Params<N extends string> = { readonly [K in N]: number };

export interface Signature<N extends string> {
  readonly params: { readonly [K in N]: ValType };
  readonly result?: ValType;
  /** Kernels called only from other WASM functions stay private. */
  readonly exported?: boolean;
}

/** Declares a function whose body refers to its parameters by name. */
export function defineFunction<N extends string>(
  mod: ModuleBuilder,
  name: string,
  sig: Signature<N>,
  body: (p: Params<N>, fn: FunctionBuilder) => Code,
): FunctionBuilder {
  const names = Object.keys(sig.params) as N[];
  const types = names.map((n) => sig.params[n]);
  const params = Object.fromEntries(names.map((n, i) => [n, i])) as Params<N>;
  return mod.func(name, types, sig.result ? [sig.result] : [], (fn) => body(params, fn), sig.exported ?? true);
}

/** `count` fresh locals of one type. */
export function locals<N extends number>(fn: FunctionBuilder, type: ValType, count: N): Locals<N> {
  return Array.from({ length: count }, () => fn.local(type)) as Locals<N>;
}

/** `count` local indices: a tuple of that length for a literal count (each one defined when destructured), else an array. */
type Locals<N extends number, T extends number[] = []> = number extends N ? number[] : T["length"] extends N ? T : Locals<N, [...T, number]>;

/** Parameters that are all i32 (pointers, sizes, strides), by name. */
export function i32Params<N extends string>(...names: N[]): { readonly [K in N]: ValType } {
  return Object.fromEntries(names.map((n) => [n, "i32"])) as { [K in N]: ValType };
}
