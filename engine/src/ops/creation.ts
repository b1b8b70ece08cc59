import { DTypeError, isDType, randomBits, ShapeError, type DType, type Shape } from "@polychip/hal";
import { fromHost } from "../core/dispatch.ts";
import { Tensor } from "../tensor.ts";
import { apply } from "./apply.ts";

export interface CreateOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

type Nested = number | boolean | readonly Nested[];

function inferShape(values: Nested): number[] {
  const shape: number[] = [];
  let v: Nested = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = (v as readonly Nested[])[0] as Nested;
  }
  return shape;
}

function flattenNested(values: Nested, shape: number[], dim = 0, out: number[] = []): number[] {
  if (dim === shape.length) {
    if (Array.isArray(values)) throw new ShapeError(`tensor: ragged nested array (expected a number at depth ${dim})`);
    out.push(Number(values));
    return out;
  }
  if (!Array.isArray(values) || values.length !== shape[dim])
    throw new ShapeError(`tensor: ragged nested array at depth ${dim} (expected length ${shape[dim]})`);
  for (const v of values as readonly Nested[]) flattenNested(v, shape, dim + 1, out);
  return out;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  return opts.requiresGrad ? t.requiresGrad_() : t;
}

/**
 * A tensor from nested arrays, a flat array or typed array (give `shape` for flat data), or a number.
 * The dtype defaults from the data: Int32Array → int32, Uint8Array → uint8, booleans → bool, else float32.
 */
export function tensor(values: Nested | ArrayLike<number>, opts: CreateOptions & { shape?: Shape } = {}): Tensor {
  let flat: ArrayLike<number>;
  let shape: number[];
  let guess: DType = "float32";
  if (ArrayBuffer.isView(values)) {
    flat = values as unknown as ArrayLike<number>;
    shape = opts.shape ? [...opts.shape] : [flat.length];
    if (values instanceof Int32Array) guess = "int32";
    else if (values instanceof Uint8Array) guess = "uint8";
    else if (values instanceof Int8Array) guess = "int8";
  } else {
    const nested = values as Nested;
    const inferred = inferShape(nested);
    flat = flattenNested(nested, inferred);
    shape = opts.shape ? [...opts.shape] : inferred;
    let leaf: Nested = nested;
    while (Array.isArray(leaf)) leaf = (leaf as readonly Nested[])[0] as Nested;
    if (typeof leaf === "boolean") guess = "bool";
  }
  const dtype = opts.dtype ?? guess;
  if (!isDType(dtype)) throw new DTypeError(`tensor: unknown dtype ${JSON.stringify(dtype)}`);
  return finish(new Tensor(fromHost(flat, shape, dtype, opts.device)), opts);
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  const attrs = { shape: [...shape], dtype: opts.dtype ?? "float32", value };
  return finish(apply("fill", [], attrs, opts.device), opts);
}

export const zeros = (shape: Shape, opts: CreateOptions = {}) => full(shape, 0, opts);
export const ones = (shape: Shape, opts: CreateOptions = {}) => full(shape, 1, opts);
export const zerosLike = (t: Tensor, opts: CreateOptions = {}) => full(t.shape, 0, { dtype: t.dtype, device: t.device, ...opts });
export const onesLike = (t: Tensor, opts: CreateOptions = {}) => full(t.shape, 1, { dtype: t.dtype, device: t.device, ...opts });

/** start, start+step, ... below end. int32 when all arguments are integers, else float32. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new ShapeError("arange: step must not be zero");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const values = Array.from({ length: n }, (_, i) => start + i * step);
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? "int32" : "float32");
  return tensor(values, { ...opts, dtype, shape: [n] });
}

let globalSeed = 0x5eed;
let counter = 0;

/** Makes every later random op reproducible. */
export function manualSeed(seed: number): void {
  globalSeed = seed >>> 0;
  counter = 0;
}

/** The global random stream's position, so a training checkpoint can resume it exactly. */
export function getRngState(): { seed: number; counter: number } {
  return { seed: globalSeed, counter };
}

export function setRngState(state: { seed: number; counter: number }): void {
  if (!Number.isInteger(state?.seed) || !Number.isInteger(state?.counter) || state.counter < 0)
    throw new DTypeError(`setRngState: expected { seed, counter } integers, got ${JSON.stringify(state)}`);
  globalSeed = state.seed >>> 0;
  counter = state.counter;
}

/** A fresh seed for one random op, drawn from the global stream. */
export function nextSeed(): number {
  return randomBits(globalSeed, counter++);
}

export function rand(shape: Shape, opts: CreateOptions & { low?: number; high?: number } = {}): Tensor {
  const attrs = { shape: [...shape], dtype: opts.dtype ?? "float32", low: opts.low ?? 0, high: opts.high ?? 1, seed: nextSeed() };
  return finish(apply("randomUniform", [], attrs, opts.device), opts);
}

export function randn(shape: Shape, opts: CreateOptions & { mean?: number; std?: number } = {}): Tensor {
  const attrs = { shape: [...shape], dtype: opts.dtype ?? "float32", mean: opts.mean ?? 0, std: opts.std ?? 1, seed: nextSeed() };
  return finish(apply("randomNormal", [], attrs, opts.device), opts);
}
