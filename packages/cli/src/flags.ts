import type { FlagTable } from "./args.ts";
import { MODEL_NAMES } from "./models.ts";
import { PRECISION_CHOICES } from "./precision.ts";

/**
 * Every command's flags with their ranges, checked before any data is loaded. The ranges are wide
 * enough for real use and narrow enough to catch typos (an --lr of 100) and non-numbers.
 */
const device = (fallback: string) => ({ kind: "string", default: fallback }) as const;
/** A device plugin to load first (package name or path, from the working directory); repeatable. */
const plugin = { kind: "string", multiple: true } as const;
const json = { kind: "boolean" } as const;
const subset = { kind: "boolean" } as const;
const epochs = { kind: "int", default: 1, min: 1, max: 10_000 } as const;
const model = { kind: "string", default: "mlp", choices: MODEL_NAMES } as const;
const dataset = { kind: "string", default: "fashion-mnist", choices: ["fashion-mnist"] } as const;

export const TRAIN_FLAGS = {
  model: { ...model, choices: [...MODEL_NAMES, "gpt"] },
  epochs,
  device: device("cpu"),
  plugin,
  subset,
  json,
  batch: { kind: "int", default: 64, min: 1, max: 1 << 20 },
  lr: { kind: "number", default: 0.001, above: 0, max: 10 },
  seed: { kind: "int", default: 1, min: 0, max: 2 ** 32 - 1 },
  "max-steps": { kind: "int", min: 1, max: 1e9 },
  /** Training precision; "auto" trains NPUs with float16 tensor kernels in mixed-fp16 and the rest in fp32 (src/precision.ts). */
  precision: { kind: "string", default: "auto", choices: PRECISION_CHOICES },
  data: { kind: "string" },
  out: { kind: "string" },
  /** The text `--model gpt` learns (the repository README when left out). */
  text: { kind: "string" },
} as const satisfies FlagTable;

export const QUICKSTART_FLAGS = {
  model,
  epochs,
  subset,
  "deploy-images": { kind: "int", min: 1, max: 1e7 },
} as const satisfies FlagTable;

export const DEPLOY_FLAGS = {
  device: device("npu-sim"),
  plugin,
  subset,
  json,
  data: dataset,
  int8: { kind: "boolean" },
  fp16: { kind: "boolean" },
  baseline: { kind: "boolean" },
  calibrate: { kind: "int", default: 512, min: 1, max: 1e7 },
  observer: { kind: "string", default: "percentile", choices: ["percentile", "minmax"] },
  percentile: { kind: "number", above: 50, max: 100 },
  "data-dir": { kind: "string" },
  limit: { kind: "int", min: 1, max: 1e9 },
  out: { kind: "string" },
} as const satisfies FlagTable;

export const EXPORT_FLAGS = {
  json,
  out: { kind: "string" },
  onnx: { kind: "string" },
  print: { kind: "boolean" },
} as const satisfies FlagTable;

export const RUN_FLAGS = {
  device: device("cpu"),
  plugin,
  json,
  input: { kind: "string" },
} as const satisfies FlagTable;

export const COMPILE_FLAGS = {
  device: device("cpu"),
  plugin,
  json,
  report: { kind: "boolean" },
  out: { kind: "string" },
  input: { kind: "string" },
} as const satisfies FlagTable;

export const EVAL_FLAGS = {
  data: dataset,
  device: device("cpu"),
  plugin,
  subset,
  json,
  "data-dir": { kind: "string" },
} as const satisfies FlagTable;

export const CONFORMANCE_FLAGS = {
  device: device("cpu"),
  plugin,
  json,
  rtol: { kind: "number", default: 1e-3, min: 0, max: 1 },
  atol: { kind: "number", default: 1e-5, min: 0, max: 1 },
  expect: { kind: "string" },
  /** One passed/failed/skipped line per op type after the run. */
  summary: { kind: "boolean" },
} as const satisfies FlagTable;
