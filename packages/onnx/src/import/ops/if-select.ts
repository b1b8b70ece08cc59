import { getOp, hasOp, PolychipError, type OpFamily } from "@polychip/hal";
import type { GraphNode } from "@polychip/engine/runtime";
import { sizeOfDims } from "../../host/meta.ts";
import type { GraphProto } from "../../proto/types.ts";
import { REMEMBERED_INPUT_VALUES, type ImportContext } from "../context.ts";
import { HostStepNeeded } from "../host-step.ts";

/**
 * An If whose condition is computed from the data, imported as both branches and a `where` on
 * the condition: one plan, no condition read back between two plans (OnnxSession otherwise runs
 * the model up to the condition, reads it, then runs a plan of the taken branch; for a wake-word
 * head whose verifier runs only on a high first score, that readback and second plan cost more
 * than the small verifier itself).
 *
 * It is exactly the If only because:
 * - every op either branch lowers to computes a value for any input and draws nothing (elementwise,
 *   matmul, reductions, normalisations, structural moves with shapes known at import; no gather or
 *   scatter, which stop a run on an index out of range, no random ops, no host steps), so the
 *   untaken branch can neither stop a run nor change the state of a random generator;
 * - both branches give outputs of the same dtypes and the same static shapes;
 * - `where` copies the taken branch's values bit for bit, so NaN or infinities in the other one
 *   never reach an output.
 *
 * It is used when each branch is small (reads at most MAX_BRANCH_WORK elements: the untaken one
 * then costs less than a second plan and a readback) and when the condition reads a large input
 * (audio, features): a condition on a few input values (a sample rate) is computed once per value
 * and remembered by OnnxSession, which then plans only the taken branch.
 */

/** Elements a branch's ops may read in all (weights included) for both branches to run every time: about 1 MB of float32. */
export const MAX_BRANCH_WORK = 1 << 18;

const SAFE_FAMILIES: ReadonlySet<OpFamily> = new Set(["unary", "binary", "compare", "logical", "select", "cast", "copy", "fill", "reduce", "matmul", "fused"]);
/** Composite ops (family "nn") that compute a value for any input, with every size checked at import. */
const SAFE_COMPOSITES = new Set([
  "conv2d",
  "conv2dNhwc",
  "conv2dEpilogue",
  "conv2dNhwcEpilogue",
  "matmulEpilogue",
  "maxPool2d",
  "avgPool2d",
  "softmax",
  "logSoftmax",
  "softplus",
  "layerNorm",
  "batchNorm",
  "pad",
  "concat",
]);
/** Structural ops (not HAL ops): moves whose sizes the import fixed. */
const SAFE_STRUCTURAL = new Set(["reshape", "permute", "slice", "expand", "squeeze", "unsqueeze", "flatten", "identity", "constant", "shape", "size", "split"]);

function isSafe(node: GraphNode): boolean {
  if (SAFE_STRUCTURAL.has(node.op)) return true;
  if (!hasOp(node.op)) return false;
  const def = getOp(node.op);
  return SAFE_FAMILIES.has(def.family) || SAFE_COMPOSITES.has(node.op);
}

/**
 * The If's outputs as `where(condition, then, else)` values, or undefined when the If is not one
 * this applies to. Undefined may leave nodes of a branch lowered: the caller then asks for the
 * condition's value, which ends this import (OnnxSession computes it and imports again), and
 * dead-code elimination would drop them in any case.
 */
export function importIfAsSelect(ctx: ImportContext, condition: string, branches: readonly [GraphProto, GraphProto], outputs: number): string[] | undefined {
  const meta = ctx.meta(condition);
  if (meta.dtype !== "bool" || sizeOfDims(meta.shape) !== 1 || !readsLargeInput(ctx, condition)) return undefined;
  const node = ctx.current!;
  const values: string[][] = [];
  for (const branch of branches) {
    if (hasSubgraph(branch)) return undefined;
    const start = ctx.nodes.length;
    let outs: string[];
    try {
      outs = ctx.inlineSubgraph(branch, new Map());
    } catch (err) {
      // A branch that needs a value at import, or that Polychip cannot lower on its own: the taken branch alone is planned instead.
      if (err instanceof PolychipError && !(err instanceof HostStepNeeded)) return undefined;
      throw err;
    } finally {
      ctx.current = node;
    }
    const emitted = ctx.nodes.slice(start);
    // A `where` picks between tensors: branches returning sequences or optionals are inlined as taken.
    if (outs.some((o) => ctx.container(o))) return undefined;
    if (outs.length !== outputs || !emitted.every(isSafe) || work(ctx, emitted) > MAX_BRANCH_WORK) return undefined;
    values.push(outs);
  }
  const [thenValues, elseValues] = values as [string[], string[]];
  if (!thenValues.every((v, i) => sameMeta(ctx, v, elseValues[i]!))) return undefined;
  const scalar = meta.shape.length === 0 ? condition : ctx.op("reshape", [condition], { shape: [] });
  return thenValues.map((v, i) => (v === elseValues[i] ? v : ctx.op("where", [scalar, v, elseValues[i]!])));
}

/** Whether a branch holds nested control flow (its own If, Loop or Scan): not selected, its condition could need the data. */
function hasSubgraph(g: GraphProto): boolean {
  return (g.node ?? []).some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs?.length ?? 0) > 0));
}

/** Elements the nodes read (their inputs' sizes; a symbolic size counts as unbounded). */
function work(ctx: ImportContext, nodes: readonly GraphNode[]): number {
  let total = 0;
  for (const n of nodes) for (const i of n.inputs) if (i) total += sizeOfDims(ctx.meta(i).shape) ?? Infinity;
  return total;
}

function sameMeta(ctx: ImportContext, a: string, b: string): boolean {
  const x = ctx.meta(a);
  const y = ctx.meta(b);
  return x.dtype === y.dtype && sizeOfDims(x.shape) !== undefined && x.shape.length === y.shape.length && x.shape.every((d, i) => d === y.shape[i]);
}

/** Whether `name` is computed from more run-time input values than the few OnnxSession remembers results by. */
function readsLargeInput(ctx: ImportContext, name: string): boolean {
  const seen = new Set<string>();
  const stack = [name];
  let values = 0;
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v) || ctx.isConstant(v)) continue;
    seen.add(v);
    const producer = ctx.producer(v);
    if (producer) stack.push(...producer.inputs.filter(Boolean));
    else if ((values += sizeOfDims(ctx.meta(v).shape) ?? Infinity) > REMEMBERED_INPUT_VALUES) return true;
  }
  return false;
}
