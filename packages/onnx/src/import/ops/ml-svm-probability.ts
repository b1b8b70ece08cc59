import type { ImportContext } from "../context.ts";
import { bin, un } from "./helpers.ts";

/**
 * SVC probability estimates from prob_a/prob_b as onnxruntime computes them: each pair's decision
 * value through Platt's sigmoid, then libsvm's pairwise coupling (Wu, Lin and Weng, method 2), an
 * iteration that stops per row once its error is below 0.005 / classes, at most 100 rounds. The
 * rounds are unrolled over [N, 1] columns in onnxruntime's float32 order of operations, and a row
 * that has stopped keeps its probabilities, so the stopping round matches too.
 */

const ROUNDS = 100;

/** [N, C] class probabilities from the pairs' decision values [N, P] (pairs i < j in order). */
export function pairwiseCoupling(ctx: ImportContext, scores: string, classes: number, probA: readonly number[], probB: readonly number[]): string {
  const f32 = (v: number) => ctx.scalar(v, "float32");
  const add = (a: string, b: string) => bin(ctx, "add", a, b);
  const sub = (a: string, b: string) => bin(ctx, "sub", a, b);
  const mul = (a: string, b: string) => bin(ctx, "mul", a, b);
  const div = (a: string, b: string) => bin(ctx, "div", a, b);
  const one = f32(1);
  // r[i][j]: the probability of i over j.
  const r: string[][] = Array.from({ length: classes }, () => new Array<string>(classes));
  let pair = 0;
  for (let i = 0; i < classes; i++)
    for (let j = i + 1; j < classes; j++, pair++) {
      const value = add(mul(ctx.op("slice", [scores], { starts: [pair], ends: [pair + 1], axes: [1] }), f32(probA[pair]!)), f32(probB[pair]!));
      // onnxruntime's logistic: 1 / (1 + e^−|v|), mirrored for negative v.
      const half = div(one, add(one, un(ctx, "exp", un(ctx, "neg", un(ctx, "abs", value)))));
      const logistic = ctx.op("where", [bin(ctx, "less", value, f32(0)), sub(one, half), half]);
      const clamped = bin(ctx, "minimum", bin(ctx, "maximum", sub(one, logistic), f32(1e-7)), f32(1 - 1e-7));
      r[i]![j] = clamped;
      r[j]![i] = sub(one, clamped);
    }
  // Q[i][i] = Σ_{j≠i} r[j][i]², Q[i][j] = −r[j][i]·r[i][j].
  const q: string[][] = Array.from({ length: classes }, () => new Array<string>(classes));
  for (let i = 0; i < classes; i++) {
    let diagonal: string | undefined;
    for (let j = 0; j < classes; j++) {
      if (j === i) continue;
      const square = mul(r[j]![i]!, r[j]![i]!);
      diagonal = diagonal === undefined ? square : add(diagonal, square);
      if (j > i) q[i]![j] = mul(un(ctx, "neg", r[j]![i]!), r[i]![j]!);
      else q[i]![j] = q[j]![i]!;
    }
    q[i]![i] = diagonal!;
  }
  const sum = (terms: string[]) => terms.slice(1).reduce((acc, t) => add(acc, t), terms[0]!);
  const eps = f32(Math.fround(Math.fround(0.005) / classes));
  const start = f32(Math.fround(1 / classes));
  let p: string[] = Array.from({ length: classes }, () => start);
  let done: string | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    let qp = q.map((row) => sum(row.map((entry, j) => mul(entry, p[j]!))));
    let pqp = sum(p.map((pi, i) => mul(pi, qp[i]!)));
    const error = qp.map((v) => un(ctx, "abs", sub(v, pqp))).reduce((a, b) => bin(ctx, "maximum", a, b));
    const stop = bin(ctx, "less", error, eps);
    done = done === undefined ? stop : ctx.op("logicalOr", [done, stop]);
    const next = [...p];
    for (let i = 0; i < classes; i++) {
      const diff = div(add(un(ctx, "neg", qp[i]!), pqp), q[i]![i]!);
      next[i] = add(next[i]!, diff);
      const grow = add(one, diff);
      pqp = div(div(add(pqp, mul(diff, add(mul(diff, q[i]![i]!), mul(f32(2), qp[i]!)))), grow), grow);
      qp = qp.map((v, j) => div(add(v, mul(diff, q[i]![j]!)), grow));
      for (let j = 0; j < classes; j++) next[j] = div(next[j]!, grow);
    }
    const stopped = done;
    p = p.map((pi, k) => ctx.op("where", [stopped, pi, next[k]!]));
  }
  return ctx.op("concat", p, { axis: 1 });
}
