import { contiguousStrides, dtypeBytes, isFloat, normalizeAxis, numAttr, ShapeError, sizeOf, type TensorView } from "@polychip/hal";
import { elementOffsets, forEachIndex, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad, dmaStore } from "../chip/dma.ts";
import { planStream } from "../chip/stream-tiling.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { npuOf, type NpuSimDevice } from "../device.ts";
import { NPU_DTYPES } from "../dtypes.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";

type View = TensorView<HostBuffer>;

/** Index values (int32) of a view, row-major, each checked against the size of dim `axis` of `x` (the cpu device's error). */
function loadIndices(op: string, idx: View, x: View, axis: number): Float64Array {
  const values = dmaLoad(idx, elementOffsets(idx.shape, idx.strides, idx.offset), 0, sizeOf(idx.shape));
  const size = x.shape[axis]!;
  for (const k of values) {
    if (!(k >= 0 && k < size)) throw new ShapeError(`${op}: index ${k} is out of range for dim ${axis} of size ${size}`);
  }
  return values;
}

/** Storage offset in `x` of `index` with its `axis` coordinate replaced by `k` (-1: none replaced). */
function offsetWith(x: View, index: readonly number[], axis: number, k: number): number {
  let p = x.offset;
  for (let d = 0; d < index.length; d++) p += (d === axis ? k : index[d]!) * x.strides[d]!;
  return p;
}

/**
 * A gather is a DMA descriptor: the indices are loaded first, then the chip gathers the selected
 * elements straight from DRAM in tiles and stores them contiguously. Charged as the index load
 * plus a stream of the gathered elements.
 */
function runGather(npu: NpuSimDevice, op: string, x: View, idx: View, y: View, source: Int32Array): void {
  const n = source.length;
  const bytes = dtypeBytes(x.dtype);
  const prog = new TileProgram(npu.profile, op, "vector", x.dtype);
  const tile = planStream(prog, n, 2 * bytes);
  const indexBytes = sizeOf(idx.shape) * 4;
  for (let start = 0, t = 0; start < n; start += tile, t++) {
    const count = Math.min(tile, n - start);
    dmaStore(y, start, dmaLoad(x, source, start, count));
    prog.step(t, { inBytes: count * bytes + (t === 0 ? indexBytes : 0), computeCycles: prog.vectorCycles(count, 1, true), outBytes: count * bytes });
  }
  npu.record(prog.finish());
}

/** ONNX Gather: out[outer, j, inner] = x[outer, idx[j], inner]. */
const gatherKernel: NpuKernel = ({ inputs: [x, idx], outputs: [y], attrs }, device) => {
  const axis = normalizeAxis("gather", numAttr("gather", attrs, "axis", 0), x!.shape.length);
  const indices = loadIndices("gather", idx!, x!, axis);
  const source = new Int32Array(sizeOf(y!.shape));
  const r = idx!.shape.length;
  forEachIndex(y!.shape, (index, flat) => {
    let p = x!.offset;
    for (let d = 0; d < axis; d++) p += index[d]! * x!.strides[d]!;
    let j = 0;
    for (let d = 0; d < r; d++) j = j * idx!.shape[d]! + index[axis + d]!;
    p += indices[j]! * x!.strides[axis]!;
    for (let d = axis + 1; d < x!.shape.length; d++) p += index[d - 1 + r]! * x!.strides[d]!;
    source[flat] = p;
  });
  runGather(npuOf(device, "gather"), "gather", x!, idx!, y!, source);
};

/** torch.gather: out[c] = x[c with c[axis] = idx[c]]. */
const gatherElementsKernel: NpuKernel = ({ inputs: [x, idx], outputs: [y], attrs }, device) => {
  const axis = normalizeAxis("gatherElements", numAttr("gatherElements", attrs, "axis", 0), x!.shape.length);
  const indices = loadIndices("gatherElements", idx!, x!, axis);
  const source = new Int32Array(indices.length);
  forEachIndex(idx!.shape, (index, flat) => (source[flat] = offsetWith(x!, index, axis, indices[flat]!)));
  runGather(npuOf(device, "gatherElements"), "gatherElements", x!, idx!, y!, source);
};

/**
 * torch.scatter_add: out = x, then out[c with c[axis] = idx[c]] += src[c] in row-major order of c.
 * The vector unit adds in that order (floats rounded to fp32 after every add, bool ORs), so
 * repeated indices give the same sums as the reference.
 */
const scatterAddKernel: NpuKernel = ({ inputs: [x, idx, src], outputs: [y], attrs }, device) => {
  const npu = npuOf(device, "scatterAdd");
  const axis = normalizeAxis("scatterAdd", numAttr("scatterAdd", attrs, "axis", 0), x!.shape.length);
  const indices = loadIndices("scatterAdd", idx!, x!, axis);
  const n = sizeOf(x!.shape);
  const out = dmaLoad(x!, elementOffsets(x!.shape, x!.strides, x!.offset), 0, n);
  const srcValues = dmaLoad(src!, elementOffsets(src!.shape, src!.strides, src!.offset), 0, sizeOf(src!.shape));
  const outView: View = { ...y!, offset: 0 };
  const srcView: View = { ...src!, strides: contiguousStrides(src!.shape), offset: 0 };
  const round = isFloat(y!.dtype) ? Math.fround : (v: number) => v;
  const bool = y!.dtype === "bool";
  forEachIndex(idx!.shape, (index, flat) => {
    const t = offsetWith(outView, index, axis, indices[flat]!);
    const s = srcValues[offsetWith(srcView, index, -1, 0)]!;
    out[t] = bool ? +(out[t] !== 0 || s !== 0) : round(out[t]! + s);
  });
  dmaStore(y!, 0, out);
  const bytes = dtypeBytes(x!.dtype);
  const prog = new TileProgram(npu.profile, "scatterAdd", "vector", x!.dtype);
  const updates = indices.length;
  prog.reserve(Math.min(n * bytes, prog.neuronCapacity), 0, `a scatter into ${n} elements`);
  prog.step(0, { inBytes: n * bytes + updates * (4 + bytes), computeCycles: prog.vectorCycles(updates, 1, true) + updates, outBytes: n * bytes });
  npu.record(prog.finish());
};

export const indexingKernels: NpuRegistration[] = [
  npuKernel("gather", NPU_DTYPES, gatherKernel),
  npuKernel("gatherElements", NPU_DTYPES, gatherElementsKernel),
  npuKernel("scatterAdd", NPU_DTYPES, scatterAddKernel),
];
