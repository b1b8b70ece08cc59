import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { HostTensor } from "../../tensor.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { lowerThroughHost } from "../host-step.ts";
import { input, output, type OpImporter } from "./helpers.ts";

/**
 * TfIdfVectorizer (opset 9): counts the pool's n-grams in each row of X (skip-grams up to
 * max_skip_count) and writes them as TF counts, IDF weights or TF×IDF in the n-grams' output
 * columns. It is a counting op on the host: on strings at import (strings are host values), on
 * integers through a host step (at import when X is known, else per run under OnnxSession).
 */
interface Vectorizer {
  readonly minGram: number;
  readonly maxGram: number;
  readonly maxSkip: number;
  readonly mode: "TF" | "IDF" | "TFIDF";
  /** Per n (1-based index n-1): the pool's n-grams as keys → their position in pool order. */
  readonly pools: readonly Map<string, number>[];
  readonly columns: readonly number[];
  readonly weights: readonly number[] | undefined;
  readonly width: number;
}

const key = (items: readonly (string | number)[]) => JSON.stringify(items);

function vectorizerOf(ctx: ImportContext, node: OnnxNode): Vectorizer {
  const a = node.attrs;
  for (const name of ["min_gram_length", "max_gram_length", "max_skip_count", "mode", "ngram_counts", "ngram_indexes"])
    if (!a.has(name)) throw new FormatError(`${ctx.where()}: required attribute '${name}' is missing`);
  const minGram = a.int("min_gram_length", 0);
  const maxGram = a.int("max_gram_length", 0);
  const maxSkip = a.int("max_skip_count", 0);
  const mode = a.string("mode", "");
  if (mode !== "TF" && mode !== "IDF" && mode !== "TFIDF") throw new FormatError(`${ctx.where()}: mode '${mode}' is not TF, IDF or TFIDF`);
  if (minGram < 1 || maxGram < minGram) throw new FormatError(`${ctx.where()}: gram lengths ${minGram}..${maxGram} are not 1 <= min <= max`);
  if (maxSkip < 0) throw new FormatError(`${ctx.where()}: max_skip_count ${maxSkip} is negative`);
  const strings = a.strings("pool_strings");
  const ints = a.ints("pool_int64s");
  if (!!strings?.length === !!ints?.length) throw new FormatError(`${ctx.where()}: exactly one of pool_strings and pool_int64s is required`);
  const pool: (string | number)[] = strings?.length ? strings : ints!;
  const starts = a.ints("ngram_counts", []);
  const columns = a.ints("ngram_indexes", []);
  const weights = a.floats("weights");
  const pools: Map<string, number>[] = [];
  let position = 0;
  starts.forEach((start, i) => {
    const n = i + 1;
    const end = i + 1 < starts.length ? starts[i + 1]! : pool.length;
    if (start < 0 || end < start || end > pool.length || (end - start) % n !== 0)
      throw new FormatError(`${ctx.where()}: ngram_counts ${JSON.stringify(starts)} do not split the pool of ${pool.length} into ${n}-grams`);
    const grams = new Map<string, number>();
    for (let at = start; at < end; at += n) grams.set(key(pool.slice(at, at + n)), position++);
    pools.push(grams);
  });
  if (columns.length !== position) throw new FormatError(`${ctx.where()}: ${columns.length} ngram_indexes for ${position} n-grams in the pool`);
  if (weights && weights.length !== position) throw new FormatError(`${ctx.where()}: ${weights.length} weights for ${position} n-grams`);
  if (columns.some((c) => c < 0)) throw new FormatError(`${ctx.where()}: ngram_indexes must not be negative`);
  return { minGram, maxGram, maxSkip, mode, pools, columns, weights, width: columns.length ? Math.max(...columns) + 1 : 0 };
}

/** One row's output: the n-grams counted (each skip distance; unigrams once), then weighted by mode. */
function vectorize(v: Vectorizer, row: readonly (string | number)[], out: Float32Array, offset: number): void {
  const counts = new Float64Array(v.columns.length);
  for (let skip = 0; skip <= v.maxSkip; skip++) {
    const step = skip + 1;
    for (let start = 0; start < row.length; start++) {
      for (let n = Math.max(v.minGram, 1); n <= v.maxGram; n++) {
        if (n === 1 && skip > 0) continue;
        const last = start + (n - 1) * step;
        if (last >= row.length) break;
        const grams = v.pools[n - 1];
        if (!grams || grams.size === 0) continue;
        const items = Array.from({ length: n }, (_, k) => row[start + k * step]!);
        const at = grams.get(key(items));
        if (at !== undefined) counts[at]!++;
      }
    }
  }
  counts.forEach((count, at) => {
    if (count === 0) return;
    const weight = v.weights ? v.weights[at]! : 1;
    out[offset + v.columns[at]!]! += v.mode === "TF" ? count : v.mode === "IDF" ? weight : count * weight;
  });
}

function compute(ctx: ImportContext, v: Vectorizer, shape: readonly number[], data: readonly (string | number)[]): HostTensor {
  if (shape.length !== 1 && shape.length !== 2) throw new ShapeError(`${ctx.where()}: X must be [C] or [N, C], got [${shape.join(", ")}]`);
  const rows = shape.length === 2 ? shape[0]! : 1;
  const width = shape[shape.length - 1]!;
  const out = new Float32Array(rows * v.width);
  for (let r = 0; r < rows; r++) vectorize(v, data.slice(r * width, (r + 1) * width), out, r * v.width);
  return { dtype: "float32", shape: shape.length === 2 ? [rows, v.width] : [v.width], data: out };
}

const tfIdfVectorizer: OpImporter = (ctx, node) => {
  const v = vectorizerOf(ctx, node);
  const x = input(ctx, node, 0);
  const stringPool = !!node.attrs.strings("pool_strings")?.length;
  const out = output(node);
  if (ctx.isString(x)) {
    if (!stringPool) throw new UnsupportedOpError(`${ctx.where()}: X is STRING but the pool is pool_int64s`);
    const t = ctx.stringValue(x);
    if (out) ctx.declareConstant(out, compute(ctx, v, t.shape, t.data));
    return;
  }
  if (stringPool) throw new UnsupportedOpError(`${ctx.where()}: X is ${ctx.dtype(x)} but the pool is pool_strings`);
  if (ctx.dtype(x) !== "int32") throw new UnsupportedOpError(`${ctx.where()}: X must be int32 or int64, got ${ctx.dtype(x)}`);
  const rank = ctx.rank(x);
  lowerThroughHost(ctx, node, {
    reads: [x],
    why: "TfIdfVectorizer (counted on the host)",
    results: 1,
    compute: ([t]) => [compute(ctx, v, t!.shape, Array.from(t!.data as Int32Array))],
    lower: ([counts]) => {
      if (rank !== 1 && rank !== 2) throw new ShapeError(`${ctx.where()}: X must be [C] or [N, C], got rank ${rank}`);
      ctx.bind(out, counts!);
    },
  });
};

export const TFIDF_IMPORTERS: Readonly<Record<string, OpImporter>> = { TfIdfVectorizer: tfIdfVectorizer };
