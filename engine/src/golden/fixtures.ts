/**
 * Reads the PyTorch golden fixtures (engine/fixtures/golden/*.json, written by
 * engine/scripts/generate_golden.py) and compares engine values against them.
 */
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { tensor, type Tensor } from "../index.ts";

export interface GoldenArray {
  shape: number[];
  dtype: "float32" | "int32" | "bool";
  values: number[];
}

export interface GoldenInput extends GoldenArray {
  requiresGrad: boolean;
}

export interface OpCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: GoldenInput[];
  outputs: GoldenArray[];
  /** Per output: the weight w in sum(out * w), or null when the output is not part of the loss. */
  weights: (number[] | null)[];
  /** Per input: d loss / d input, or null when the input's gradient is not checked. */
  grads: (number[] | null)[];
  note?: string;
}

export interface OptimizerCase {
  name: string;
  optimizer: "SGD" | "Adam" | "AdamW" | "RMSprop" | "Adagrad";
  options: Record<string, unknown>;
  params: { shape: number[]; values: number[] }[];
  /** grads[step][param] */
  grads: number[][][];
  /** paramsAfterStep[step][param] */
  paramsAfterStep: number[][][];
  scheduler?: SchedulerSpec;
}

export type SchedulerSpec =
  | { kind: "StepLR"; stepSize: number; gamma: number }
  | { kind: "CosineAnnealingLR"; tMax: number; etaMin: number }
  | { kind: "MultiStepLR"; milestones: number[]; gamma: number }
  | { kind: "ExponentialLR"; gamma: number }
  | { kind: "LambdaLR"; fn: "inverse_sqrt_warmup" }
  | { kind: "LinearLR"; startFactor: number; endFactor: number; totalIters: number }
  | { kind: "SequentialLR"; milestones: number[] }
  | { kind: "OneCycleLR"; maxLr: number; totalSteps: number; annealStrategy?: "cos" | "linear"; threePhase?: boolean; pctStart?: number }
  | { kind: "ReduceLROnPlateau"; factor: number; patience: number; threshold: number; cooldown: number; minLr: number; metrics: number[] };

export interface SchedulerCase {
  name: string;
  scheduler: SchedulerSpec;
  baseLr: number;
  lrAfterStep: number[];
}

interface GoldenFile<C> {
  torch: string;
  cases: C[];
}

const FIXTURE_DIR = new URL("../../fixtures/golden/", import.meta.url);

/** JSON has no NaN or infinity: the generator writes them as these strings. */
const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY };
const nonFinite = (_key: string, value: unknown): unknown => (typeof value === "string" && Object.hasOwn(NON_FINITE, value) ? NON_FINITE[value] : value);

export function loadGolden<C>(file: string): GoldenFile<C> {
  return JSON.parse(readFileSync(new URL(file, FIXTURE_DIR), "utf8"), nonFinite) as GoldenFile<C>;
}

/** The op fixture files, one per op family. */
export const OP_FIXTURE_FILES = [
  "ops-elementwise.json",
  "ops-reduce.json",
  "ops-linalg.json",
  "ops-conv.json",
  "ops-pool.json",
  "ops-nn.json",
  "ops-indexing.json",
  "ops-shape.json",
  "ops-loss.json",
  "ops-views.json",
  "ops-parity-loss.json",
  "ops-parity-ops.json",
  "ops-parity-attention.json",
  "ops-parity-layers.json",
  "ops-added.json",
  "ops-sorting.json",
  "ops-parity2-activations.json",
  "ops-parity2-pooling.json",
  "ops-parity2-tensor-ops.json",
  "ops-parity2-norms.json",
  "ops-parity2-losses.json",
  "ops-parity2-modules.json",
] as const;

/** An engine tensor holding a fixture array (float32 values are rounded to float32 here), on `device` (default: the engine's). */
export function toTensor(a: GoldenArray, requiresGrad = false, device?: string): Tensor {
  const shape = a.shape;
  if (a.dtype === "int32") return tensor(Int32Array.from(a.values), { shape, device });
  if (a.dtype === "bool") return tensor(Uint8Array.from(a.values), { shape, dtype: "bool", device });
  return tensor(Float32Array.from(a.values), { shape, requiresGrad, device });
}

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** numpy.allclose semantics: |actual - expected| <= atol + rtol * |expected|, elementwise; lists the worst offenders. */
export function assertClose(actual: ArrayLike<number>, expected: readonly number[], tol: Tolerance, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  const shown: string[] = [];
  let count = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = expected[i]!;
    const err = Math.abs(a - e);
    if (err <= tol.atol + tol.rtol * Math.abs(e)) continue;
    if (!Number.isFinite(e) && (a === e || (Number.isNaN(a) && Number.isNaN(e)))) continue;
    count++;
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
    if (shown.length < 6) shown.push(`[${i}] got ${a}, expected ${e}`);
  }
  if (count)
    assert.fail(`${what}: ${count} of ${expected.length} values outside rtol ${tol.rtol}, atol ${tol.atol} (worst error ${worst}): ${shown.join("; ")}`);
}

export function assertExact(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.deepEqual(Array.from(actual, Number), [...expected], what);
}
