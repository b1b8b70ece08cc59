import { dtypeBytes, parseFusedProgram, sizeOf } from "@polychip/hal";
import { broadcastOffsets } from "@polychip/plugin-sdk";
import { dmaLoad } from "../chip/dma.ts";
import { planStream } from "../chip/stream-tiling.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { outputWriter, runVectorProgram } from "../chip/tile-sink.ts";
import { compileVectorProgram } from "../chip/vector-program.ts";
import { npuOf } from "../device.ts";
import { NPU_DTYPES } from "../dtypes.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";

/**
 * The HAL `fused` composite as one vector-unit launch: each tile DMAs in its inputs (any strided or
 * broadcast view), runs the whole program in lane registers (every step rounded to its dtype, as
 * the unfused kernels store it) and DMAs out only the program's outputs. Against the ops one by
 * one this saves a launch per op and every intermediate's round trip through DRAM; the neuron RAM
 * holds the inputs, outputs and one vector per step for the tile, double-buffered.
 */
const fusedKernel: NpuKernel = ({ inputs, outputs, attrs }, device) => {
  const npu = npuOf(device, "fused");
  const vp = compileVectorProgram("fused", parseFusedProgram(attrs, inputs.length), inputs);
  const shape = outputs[0]!.shape;
  const n = sizeOf(shape);
  const prog = new TileProgram(npu.profile, "fused", "vector", inputs[0]?.dtype ?? outputs[0]!.dtype);
  prog.members = vp.members;
  const offsets = inputs.map((v) => broadcastOffsets(v, shape));
  const inBytes = inputs.reduce((s, v) => s + dtypeBytes(v.dtype), 0);
  const outBytes = outputs.reduce((s, v) => s + dtypeBytes(v.dtype), 0);
  const registerBytes = (vp.valueCount - vp.inputCount) * 4;
  const tile = planStream(prog, n, inBytes + outBytes + registerBytes);
  const writers = outputs.map(outputWriter);
  for (let start = 0, t = 0; start < n; start += tile, t++) {
    const count = Math.min(tile, n - start);
    const loaded = inputs.map((v, k) => dmaLoad(v, offsets[k]!, start, count));
    runVectorProgram(vp, loaded, count).forEach((out, m) => writers[m]!(start, out));
    prog.step(t, { inBytes: count * inBytes, computeCycles: prog.vectorCycles(count, vp.opsPerElement, vp.wide), outBytes: count * outBytes });
  }
  npu.record(prog.finish());
};

/** Every dtype the chip stores: a program's ops, casts and consts all have vector-unit rules. */
export const fusedKernels: NpuRegistration[] = [npuKernel("fused", NPU_DTYPES, fusedKernel)];
