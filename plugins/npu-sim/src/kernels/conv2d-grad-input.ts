import { conv2dGeometry, formatShape, KernelError, listAttr, type Attrs, type TensorView } from "@polychip/hal";
import { elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad } from "../chip/dma.ts";
import { ACC_BYTES, fp16Mode, fp32VectorMode, type TensorMode } from "../chip/tensor-unit.ts";
import { TileProgram, type Unit } from "../chip/tile-program.ts";
import { plainSink, type TileSink } from "../chip/tile-sink.ts";
import { npuOf, type NpuSimDevice } from "../device.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";

/**
 * conv2dGradInput (a transposed convolution: the input gradient of conv2d, ONNX ConvTranspose) as
 * a direct gather program, no col2im: each input-gradient element sums, over the taps whose window
 * read it and the group's output channels, gradOut·w, in an fp32 accumulator. A tile is (image,
 * group, block of input channels, block of input rows): the gradOut rows those windows cover (all
 * the group's output channels) go to neuron RAM, the weight block to weight RAM. `sink` takes
 * each finished row (an epilogue runs its program there).
 */
export function runConv2dGradInputProgram(
  npu: NpuSimDevice,
  op: string,
  dy: TensorView<HostBuffer>,
  w: TensorView<HostBuffer>,
  dx: TensorView<HostBuffer>,
  attrs: Attrs,
  mode: TensorMode,
  sink: TileSink,
  unit: Unit,
): void {
  const inputShape = listAttr(op, attrs, "inputShape");
  const { N, C, H, W, OC, Cg, OCg, KH, KW, groups: G, win } = conv2dGeometry(op, inputShape, w.shape, attrs);
  const { oh: OH, ow: OW, sh, sw, dh, dw, pt, pl } = win;
  const expected = [N, OC, OH, OW];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
    throw new KernelError(`npu-sim ${op}: gradOut is ${formatShape(dy.shape)}, the convolution's output is ${formatShape(expected)}`);
  }
  const prog = new TileProgram(npu.profile, op, unit, dy.dtype);
  prog.members = sink.members;
  const macCycles = (macs: number) => (unit === "tensor" ? prog.tensorCycles(macs, false) : prog.vectorCycles(macs, 1, mode.inBytes >= 4));
  // gradOut rows a block of input rows [ih0, ih0 + rows) reads: oh with oh·sh - pt + kh·dh inside the block for some kh.
  const dyRows = (ih0: number, rows: number): [number, number] => [
    Math.max(0, Math.ceil((ih0 + pt - (KH - 1) * dh) / sh)),
    Math.min(OH - 1, Math.floor((ih0 + rows - 1 + pt) / sh)),
  ];
  const maxDyRows = (rows: number) => Math.min(OH, Math.ceil((rows + (KH - 1) * dh) / sh) + 1);
  const neuron = (tc: number, rows: number) => 2 * OCg * maxDyRows(rows) * OW * mode.inBytes + tc * rows * W * ACC_BYTES + 2 * tc * rows * W * mode.outBytes;
  const weight = (tc: number) => 2 * OCg * tc * KH * KW * mode.weightBytes;
  let tc = Cg;
  let rows = Math.max(1, Math.ceil(H / Math.max(1, Math.ceil(npu.profile.cores / Math.max(1, N * G)))));
  while (!prog.fits(neuron(tc, rows), weight(tc))) {
    if (weight(tc) > prog.weightCapacity && tc > 1) tc = Math.ceil(tc / 2);
    else if (rows > 1) rows = Math.ceil(rows / 2);
    else if (tc > 1) tc = Math.ceil(tc / 2);
    else break;
  }
  prog.reserve(
    neuron(tc, rows),
    weight(tc),
    `${op} gradOut ${dy.dtype}[${dy.shape.join(", ")}] (one input row needs ${OCg} channels × ${maxDyRows(1)} rows × ${OW} columns on chip)`,
  );

  const grad = dmaLoad(dy, elementOffsets(dy.shape, dy.strides, dy.offset), 0, N * OC * OH * OW);
  const weights = dmaLoad(w, elementOffsets(w.shape, w.strides, w.offset), 0, OC * Cg * KH * KW);
  const resident: (string | undefined)[] = new Array(npu.profile.cores).fill(undefined);
  let block = 0;
  for (let g = 0; g < G; g++) {
    for (let c0 = 0; c0 < Cg; c0 += tc) {
      const cs = Math.min(tc, Cg - c0);
      for (let n = 0; n < N; n++) {
        for (let ih0 = 0; ih0 < H; ih0 += rows, block++) {
          const core = block % npu.profile.cores;
          const r = Math.min(rows, H - ih0);
          let macs = 0;
          for (let cl = c0; cl < c0 + cs; cl++) {
            const c = g * Cg + cl;
            for (let ih = ih0; ih < ih0 + r; ih++) {
              const out = new Float64Array(W);
              for (let iw = 0; iw < W; iw++) {
                let acc = 0;
                for (let kh = 0; kh < KH; kh++) {
                  const th = ih + pt - kh * dh;
                  if (th < 0 || th % sh !== 0 || th / sh >= OH) continue;
                  const oh = th / sh;
                  for (let kw = 0; kw < KW; kw++) {
                    const tw = iw + pl - kw * dw;
                    if (tw < 0 || tw % sw !== 0 || tw / sw >= OW) continue;
                    const ow = tw / sw;
                    for (let o = g * OCg; o < (g + 1) * OCg; o++) {
                      acc = Math.fround(acc + grad[((n * OC + o) * OH + oh) * OW + ow]! * weights[((o * Cg + cl) * KH + kh) * KW + kw]!);
                    }
                    macs += OCg;
                  }
                }
                out[iw] = mode.finish(acc, c);
              }
              sink.store(((n * C + c) * H + ih) * W, out);
            }
          }
          const [lo, hi] = dyRows(ih0, r);
          const wKey = `${g}/${c0}`;
          const wBytes = resident[core] === wKey ? 0 : OCg * cs * KH * KW * mode.weightBytes;
          resident[core] = wKey;
          prog.macs += macs;
          const stored = sink.cost(prog, cs * r * W);
          prog.step(core, {
            inBytes: OCg * Math.max(0, hi - lo + 1) * OW * mode.inBytes + wBytes + stored.inBytes,
            computeCycles: macCycles(macs) + stored.computeCycles,
            outBytes: stored.outBytes,
          });
        }
      }
    }
  }
  npu.record(prog.finish());
}

function gradInputKernel(mode: TensorMode, unit: Unit): NpuKernel {
  return ({ inputs: [dy, w], outputs: [dx], attrs }, device) =>
    runConv2dGradInputProgram(npuOf(device, "conv2dGradInput"), "conv2dGradInput", dy!, w!, dx!, attrs, mode, plainSink(dx!), unit);
}

/** fp16 on the tensor unit (fp32 accumulators, output rounded to fp16). */
export const conv2dGradInputKernels: NpuRegistration[] = [npuKernel("conv2dGradInput", ["float16"], gradInputKernel(fp16Mode(undefined, false), "tensor"))];

/** fp32 on the vector unit, one MAC per lane per cycle at the 32-bit rate. */
export const vectorConv2dGradInputKernels: NpuRegistration[] = [
  npuKernel("conv2dGradInput", ["float32"], gradInputKernel(fp32VectorMode(undefined, false), "vector")),
];
