import { dtypeBytes, isContiguous, type TensorMeta, type TensorView } from "@polychip/hal";
import { broadcastOffsets, elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad, dmaScatter, dmaStore } from "./dma.ts";
import type { TileProgram, TileStep } from "./tile-program.ts";
import { storeAs, type VectorProgram } from "./vector-program.ts";

/**
 * Where a tile program's finished values go: straight to DRAM, or first through a fused
 * program on the vector unit (a GEMM epilogue), whose extra operands are DMA'd in beside the
 * tile and whose outputs are the only thing stored. `start` is the row-major position of the
 * first value in the whole result.
 */
export interface TileSink {
  store(start: number, values: ArrayLike<number>): void;
  /** What storing `count` values adds to a tile's step: extra operand DMA, the program's vector work, the outputs' DMA. */
  cost(prog: TileProgram, count: number): TileStep;
  /** The ops a launch storing through this sink stands for, with its GEMM ("conv2d+add+relu"); none for a plain store. */
  readonly members?: string;
}

/** A store descriptor for an output view: contiguous, or a scatter over its strides. */
export function outputWriter(view: TensorView<HostBuffer>): (start: number, values: ArrayLike<number>) => void {
  if (isContiguous(view.shape, view.strides)) return (start, values) => dmaStore(view, start, values);
  const positions = elementOffsets(view.shape, view.strides, 0);
  return (start, values) => dmaScatter(view, positions.subarray(start, start + values.length), values);
}

export function plainSink(y: TensorView<HostBuffer>): TileSink {
  const write = outputWriter(y);
  const bytes = dtypeBytes(y.dtype);
  return { store: write, cost: (_, count) => ({ inBytes: 0, computeCycles: 0, outBytes: count * bytes }) };
}

/**
 * Runs `vp` over `count` elements whose inputs are loaded (`loaded[k][i]`) and returns each
 * output's values: the fused program's inner loop, shared by `fused` and the epilogues.
 */
export function runVectorProgram(vp: VectorProgram, loaded: readonly ArrayLike<number>[], count: number): Float64Array[] {
  const values = new Float64Array(vp.valueCount);
  const outs = vp.outputs.map(() => new Float64Array(count));
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < vp.inputCount; k++) values[k] = loaded[k]![i]!;
    vp.evaluate(values);
    for (let m = 0; m < outs.length; m++) outs[m]![i] = values[vp.outputs[m]!]!;
  }
  return outs;
}

/**
 * An epilogue: the GEMM's values (value 0, rounded to the product's dtype as its store would),
 * with `extras` (broadcast to the product's shape) as values 1.., through `vp` into `outputs`.
 * `gemm` names the op that produced the values.
 */
export function programSink(
  gemm: string,
  vp: VectorProgram,
  product: TensorMeta,
  extras: readonly TensorView<HostBuffer>[],
  outputs: readonly TensorView<HostBuffer>[],
): TileSink {
  const roundProduct = storeAs(product.dtype);
  const offsets = extras.map((v) => broadcastOffsets(v, product.shape));
  const writers = outputs.map(outputWriter);
  const extraBytes = extras.reduce((s, v) => s + dtypeBytes(v.dtype), 0);
  const outBytes = outputs.reduce((s, v) => s + dtypeBytes(v.dtype), 0);
  return {
    members: vp.members ? `${gemm}+${vp.members}` : gemm,
    store(start, values) {
      const count = values.length;
      const product = new Float64Array(count);
      for (let i = 0; i < count; i++) product[i] = roundProduct(values[i]!);
      const loaded = [product, ...extras.map((v, k) => dmaLoad(v, offsets[k]!, start, count))];
      runVectorProgram(vp, loaded, count).forEach((out, m) => writers[m]!(start, out));
    },
    cost: (prog, count) => ({
      inBytes: count * extraBytes,
      computeCycles: prog.vectorCycles(count, vp.opsPerElement, vp.wide),
      outBytes: count * outBytes,
    }),
  };
}
