import type { FastPath } from "../device.ts";
import type { CpuRegistration, CpuKernel } from "../kernels/registration.ts";
import { runRecurrent, type RecurrentOperands, type RecurrentProducts } from "../kernels/recurrent.ts";
import { PARALLEL_MIN_MACS } from "./grid.ts";
import { privateScratch } from "./private-scratch.ts";
import { contiguous, fastKernel, float32Addresses } from "./support.ts";

/**
 * lstm, gru and rnn with their matrix-vector products on the WASM dot-product kernel (matmulDot):
 * x·Wᵀ for every time step at once before the recurrence, then R·h per step. The gate arithmetic
 * stays in the shared loop of kernels/recurrent.ts, so the semantics (directions, sequence
 * lengths, states, activations, clip, layouts) are the reference's; only the products are float32.
 */

/** Columns of Wᵀ per chunk of the input projection: a block of W rows that stays in L1 while every time step reads it. */
const BLOCK_BYTES = 16 * 1024;

function wasmProducts(call: Parameters<CpuKernel>[0], path: FastPath, { cfg }: RecurrentOperands): RecurrentProducts | undefined {
  const [x, w, r] = call.inputs;
  const ptrs = float32Addresses([x, w, r]);
  if (!ptrs || ![x!, w!, r!].every(contiguous)) return undefined;
  const [px, pw, pr] = ptrs as [number, number, number];
  const { seqLength: T, batch: B, inputSize: I, hidden: H } = cfg;
  const G = cfg.kind.gates * H;
  const rows = T * B;
  const rt = path.runtime;
  // [rows, G] projection, then h (H) and R·h (G), then matmulDot's one (aOffset, bOffset) entry:
  // zeros; then, 8-aligned, lstmCell's float64 pre-activations (G), c and h (H each) and its 96 bytes.
  const projectionAt = 0;
  const vAt = projectionAt + 4 * rows * G;
  const outAt = vAt + 4 * H;
  const tableAt = outAt + 4 * G;
  const preAt = Math.ceil((tableAt + 8) / 16) * 16;
  const cAt = preAt + 8 * G;
  const hAt = cAt + 8 * H;
  const tmpAt = hAt + 8 * H;
  const base = privateScratch(rt, tmpAt + 96);
  if (base === undefined) return undefined;
  rt.i32.fill(0, (base + tableAt) / 4, (base + tableAt) / 4 + 2);
  const nb = Math.max(4, Math.floor(BLOCK_BYTES / (4 * Math.max(I, 1)) / 4) * 4);
  let f64: Float64Array | undefined;
  const gn = Math.ceil(G / nb);
  return {
    inputProjection(d) {
      if (I === 0) rt.f32.fill(0, (base + projectionAt) / 4, (base + projectionAt) / 4 + rows * G);
      else if (rows > 0) {
        const args = [rows, G, I, px, 4 * I, pw + 4 * d * G * I, 4 * I, base + projectionAt, base + tableAt, nb, gn, 0];
        rt.run(rows * G * I >= PARALLEL_MIN_MACS ? path.pool : undefined, "matmulDot", args, gn, 0, rows * G * I);
      }
      return { values: rt.f32, offset: (base + projectionAt) / 4 };
    },
    recurrent(d, first, count, v, out) {
      const f32 = rt.f32;
      const vIndex = (base + vAt) / 4;
      for (let k = 0; k < H; k++) f32[vIndex + k] = v[k]!;
      rt.call("matmulDot", 1, count, H, base + vAt, 4 * H, pr + 4 * (d * G + first) * H, 4 * H, base + outAt, base + tableAt, count, 1, 0, 0, 1, 0);
      const outIndex = (base + outAt) / 4;
      for (let k = 0; k < count; k++) out[k] = f32[outIndex + k]!;
    },
    lstmCell(pre, c, h) {
      if (H % 2 !== 0) return false;
      // Made on the first step: nothing grows the memory while the kernel runs.
      f64 ??= new Float64Array(rt.arena.memory.buffer, base, tmpAt / 8);
      f64.set(pre, preAt / 8);
      f64.set(c, cAt / 8);
      rt.call("lstmCell", H, base + preAt, base + cAt, base + hAt, base + tmpAt);
      c.set(f64.subarray(cAt / 8, cAt / 8 + H));
      h.set(f64.subarray(hAt / 8, hAt / 8 + H));
      return true;
    },
  };
}

export function fastRecurrent(ref: (op: string) => CpuKernel): CpuRegistration[] {
  return (["lstm", "gru", "rnn"] as const).map((op) =>
    fastKernel(op, ref(op), (call, path) => {
      runRecurrent(op, call, (operands) => wasmProducts(call, path, operands));
      return true;
    }),
  );
}
