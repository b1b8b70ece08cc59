import { FormatError, ShapeError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { output, type OpImporter } from "./helpers.ts";
import { parseEinsum } from "./einsum-equation.ts";

/** A value whose dims carry one label each (labels are distinct once diagonals are taken). */
interface Labelled {
  readonly value: string;
  readonly labels: readonly string[];
  readonly dims: readonly number[];
}

/**
 * Einsum lowered to diagonals (a slice with stride n+1 over two merged dims), sums over labels no
 * one else needs, and one batched matmul per pair of operands (left to right): the shared labels
 * still needed later are the batch, the shared ones needed nowhere else are contracted. Size-1
 * dims broadcast against the other operand's size (ellipsis dims do).
 */
const einsum: OpImporter = (ctx, node) => {
  const equation = node.attrs.string("equation");
  if (equation === undefined) throw new FormatError(`${ctx.where()}: missing attribute 'equation'`);
  const names = node.inputs.filter((n) => n);
  const ranks = names.map((n) => ctx.rank(n));
  const parsed = parseEinsum(equation, ranks, ctx.where());
  const operands = names.map((name, i) => takeDiagonals(ctx, { value: name, labels: parsed.inputs[i]!, dims: ctx.shape(name, "Einsum") }));
  const sizes = labelSizes(ctx, operands);
  for (const l of parsed.output) if (!sizes.has(l)) throw new ShapeError(`${ctx.where()}: output label '${l}' appears in no input`);
  const neededAfter = (i: number) => new Set([...parsed.output, ...operands.slice(i + 1).flatMap((o) => o.labels)]);
  let acc = sumUnneeded(ctx, operands[0]!, neededAfter(0));
  for (let i = 1; i < operands.length; i++) {
    const keep = neededAfter(i);
    const other = sumUnneeded(ctx, operands[i]!, new Set([...keep, ...acc.labels]));
    acc = contractPair(ctx, sumUnneeded(ctx, acc, new Set([...keep, ...other.labels])), other, keep, sizes);
  }
  acc = sumUnneeded(ctx, acc, new Set(parsed.output));
  const order = parsed.output.map((l) => acc.labels.indexOf(l));
  ctx.op("permute", [acc.value], { dims: order }, output(node));
};

/** The size of every label; a size of 1 broadcasts against another. */
function labelSizes(ctx: ImportContext, operands: readonly Labelled[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const o of operands)
    o.labels.forEach((l, k) => {
      const d = o.dims[k]!;
      const seen = sizes.get(l);
      if (seen === undefined || seen === 1) sizes.set(l, d);
      else if (d !== seen && d !== 1) throw new ShapeError(`${ctx.where()}: label '${l}' has sizes ${seen} and ${d}`);
    });
  return sizes;
}

/** A label repeated in one operand keeps only its diagonal (the two dims merged, then every (n+1)-th element). */
function takeDiagonals(ctx: ImportContext, t: Labelled): Labelled {
  const first = t.labels.findIndex((l, k) => t.labels.indexOf(l) !== k);
  if (first < 0) return t;
  const j = first;
  const i = t.labels.indexOf(t.labels[j]!);
  const n = t.dims[i]!;
  if (t.dims[j] !== n) throw new ShapeError(`${ctx.where()}: repeated label '${t.labels[i]}' has sizes ${n} and ${t.dims[j]}`);
  const rest = t.labels.map((_, k) => k).filter((k) => k !== i && k !== j);
  const moved = ctx.op("permute", [t.value], { dims: [...rest, i, j] });
  const restDims = rest.map((k) => t.dims[k]!);
  const flat = ctx.op("reshape", [moved], { shape: [...restDims, n * n] });
  const diagonal = ctx.op("slice", [flat], { starts: [0], ends: [n * n], axes: [rest.length], steps: [n + 1] });
  return takeDiagonals(ctx, { value: diagonal, labels: [...rest.map((k) => t.labels[k]!), t.labels[i]!], dims: [...restDims, n] });
}

/** Sums out the labels not in `keep`. */
function sumUnneeded(ctx: ImportContext, t: Labelled, keep: ReadonlySet<string>): Labelled {
  const axes = t.labels.flatMap((l, k) => (keep.has(l) ? [] : [k]));
  if (axes.length === 0) return t;
  const kept = t.labels.map((_, k) => k).filter((k) => !axes.includes(k));
  return {
    value: ctx.op("reduceSum", [t.value], { axes, keepDims: false }),
    labels: kept.map((k) => t.labels[k]!),
    dims: kept.map((k) => t.dims[k]!),
  };
}

/** a and b as one operand: shared labels in `keep` are batch dims, other shared labels are summed by a matmul. */
function contractPair(ctx: ImportContext, a: Labelled, b: Labelled, keep: ReadonlySet<string>, sizes: ReadonlyMap<string, number>): Labelled {
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => keep.has(l));
  const summed = shared.filter((l) => !keep.has(l));
  const aOnly = a.labels.filter((l) => !shared.includes(l));
  const bOnly = b.labels.filter((l) => !shared.includes(l));
  const size = (ls: readonly string[]) => ls.reduce((p, l) => p * sizes.get(l)!, 1);
  const arrange = (t: Labelled, order: readonly string[], shape: number[]) => {
    const permuted = ctx.op("permute", [t.value], { dims: order.map((l) => t.labels.indexOf(l)) });
    const full = order.map((l) => (shared.includes(l) ? sizes.get(l)! : t.dims[t.labels.indexOf(l)]!));
    const widened = full.some((d, k) => d !== t.dims[t.labels.indexOf(order[k]!)]) ? ctx.op("expand", [permuted], { shape: full }) : permuted;
    return ctx.op("reshape", [widened], { shape });
  };
  const lhs = arrange(a, [...batch, ...aOnly, ...summed], [size(batch), size(aOnly), size(summed)]);
  const rhs = arrange(b, [...batch, ...summed, ...bOnly], [size(batch), size(summed), size(bOnly)]);
  const labels = [...batch, ...aOnly, ...bOnly];
  const dims = labels.map((l) => (batch.includes(l) ? sizes.get(l)! : aOnly.includes(l) ? a.dims[a.labels.indexOf(l)]! : b.dims[b.labels.indexOf(l)]!));
  return { value: ctx.op("reshape", [ctx.op("matmul", [lhs, rhs])], { shape: dims }), labels, dims };
}

export const EINSUM_IMPORTERS: Readonly<Record<string, OpImporter>> = { Einsum: einsum };
