import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { optionalInput, output } from "./helpers.ts";

/**
 * Scan-8: Scan with a batch axis. Inputs are (sequence_lens?, states…, scan inputs…); every
 * tensor has the batch on axis 0 and the scan inputs their sequence on axis 1; the body sees one
 * batch element. Unrolled per batch element and step like later Scans: element b runs its first
 * sequence_lens[b] steps (all when absent; a reversed input reads those steps backwards), its
 * final states are the states after them, and its scan outputs are zero past them (onnxruntime's
 * fill). Needs the batch size, the sequence length and sequence_lens at import.
 */
export function scan8(ctx: ImportContext, node: OnnxNode, maxIterations: number): void {
  const g = node.attrs.graph("body");
  if (!g) throw new FormatError(`${ctx.where()}: missing graph attribute 'body'`);
  const scanCount = node.attrs.int("num_scan_inputs");
  const inputs = node.inputs.slice(1);
  if (scanCount === undefined || scanCount < 1 || scanCount > inputs.length) throw new FormatError(`${ctx.where()}: invalid num_scan_inputs ${scanCount}`);
  const stateCount = inputs.length - scanCount;
  const formal = (g.input ?? []).map((v) => v.name ?? "");
  if (formal.length !== inputs.length) throw new FormatError(`${ctx.where()}: the Scan body has ${formal.length} inputs, expected ${inputs.length}`);
  const states = inputs.slice(0, stateCount);
  const sequences = inputs.slice(stateCount);
  const reversed = node.attrs.ints("directions") ?? sequences.map(() => 0);
  const shapes = inputs.map((v) => ctx.shape(v, "Scan-8's batch and sequence lengths"));
  const batch = shapes[0]![0];
  if (shapes.some((s) => s[0] !== batch))
    throw new ShapeError(`${ctx.where()}: inputs must share batch dim 0, got ${shapes.map((s) => `[${s.join(", ")}]`).join(", ")}`);
  const length = shapes[stateCount]![1];
  if (length === undefined || shapes.slice(stateCount).some((s) => s[1] !== length))
    throw new ShapeError(
      `${ctx.where()}: scan inputs must share sequence dim 1, got ${shapes
        .slice(stateCount)
        .map((s) => `[${s.join(", ")}]`)
        .join(", ")}`,
    );
  if (batch! * length > maxIterations)
    throw new UnsupportedOpError(`${ctx.where()}: ${batch} sequences of ${length} cannot be unrolled (at most ${maxIterations} steps)`);
  const lengths = sequenceLengths(ctx, node, batch!, length);
  const outCount = (g.output?.length ?? 0) - stateCount;
  if (outCount < 0) throw new FormatError(`${ctx.where()}: the body has ${g.output?.length ?? 0} outputs for ${stateCount} states`);
  const pick = (v: string, axis: number, i: number) =>
    ctx.op("squeeze", [ctx.op("slice", [v], { starts: [i], ends: [i + 1], axes: [axis] })], { axes: [axis] });
  const finals: string[][] = Array.from({ length: stateCount }, () => []);
  const outputs: string[][][] = Array.from({ length: outCount }, () => []);
  for (let b = 0; b < batch!; b++) {
    let carried = states.map((s) => pick(s, 0, b));
    const rows = sequences.map((s) => pick(s, 0, b));
    const steps: string[][] = Array.from({ length: outCount }, () => []);
    for (let t = 0; t < lengths[b]!; t++) {
      const bindings = new Map<string, string>();
      carried.forEach((v, k) => bindings.set(formal[k]!, v));
      rows.forEach((r, j) => bindings.set(formal[stateCount + j]!, pick(r, 0, reversed[j] ? lengths[b]! - 1 - t : t)));
      const outs = ctx.inlineSubgraph(g, bindings);
      carried = outs.slice(0, stateCount);
      outs.slice(stateCount).forEach((v, k) => steps[k]!.push(v));
    }
    carried.forEach((v, k) => finals[k]!.push(v));
    steps.forEach((parts, k) => outputs[k]!.push(parts));
  }
  finals.forEach((parts, k) =>
    ctx.op(
      "concat",
      parts.map((p) => ctx.op("unsqueeze", [p], { axes: [0] })),
      { axis: 0 },
      output(node, k),
    ),
  );
  outputs.forEach((perBatch, k) => {
    const out = output(node, stateCount + k);
    if (!out) return;
    const sample = perBatch.flat()[0];
    if (!sample) throw new UnsupportedOpError(`${ctx.where()}: scan output ${k} of sequences that are all empty has no known shape`);
    const element = ctx.shape(sample, "a Scan-8 output");
    const zero = ctx.op("fill", [], { shape: [1, ...element], dtype: ctx.dtype(sample), value: 0 });
    const stacked = perBatch.map((parts) => {
      const padded = [...parts.map((p) => ctx.op("unsqueeze", [p], { axes: [0] })), ...new Array<string>(length - parts.length).fill(zero)];
      return ctx.op("unsqueeze", [padded.length === 1 ? padded[0]! : ctx.op("concat", padded, { axis: 0 })], { axes: [0] });
    });
    ctx.op("concat", stacked, { axis: 0 }, out);
  });
}

/** sequence_lens (every sequence full when absent), each in [0, length]. */
function sequenceLengths(ctx: ImportContext, node: OnnxNode, batch: number, length: number): number[] {
  const name = optionalInput(node, 0);
  if (!name) return new Array<number>(batch).fill(length);
  const given = Array.from(ctx.requireConstant(name, "Scan-8's sequence_lens").data as ArrayLike<number>, Number);
  if (given.length !== batch || given.some((l) => !Number.isInteger(l) || l < 0 || l > length))
    throw new ShapeError(`${ctx.where()}: sequence_lens [${given.join(", ")}] must hold ${batch} lengths in [0, ${length}]`);
  return given;
}
