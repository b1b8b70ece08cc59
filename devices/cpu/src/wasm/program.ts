/**
 * The cpu device's WebAssembly module, generated from the kernel emitters in ./kernels: no build
 * step and no binary in the repository — the bytes come from this TypeScript at first use
 * (a few milliseconds) and compile once per thread.
 */
import { ModuleBuilder } from "./encoder.ts";
import { defineFunction, i32Params } from "./define.ts";
import { unreachable, when, get } from "./instructions.ts";
import { emitGemm } from "./kernels/gemm.ts";
import { emitMatmul } from "./kernels/matmul.ts";
import { emitMatmulDot } from "./kernels/matmul-dot.ts";
import { emitIntegerMatmul } from "./kernels/integer-matmul.ts";
import { emitDynamicQuantize } from "./kernels/dynamic-quantize.ts";
import { emitMatmulDequantized } from "./kernels/matmul-dequantized.ts";
import { emitMemory } from "./kernels/memory.ts";
import { emitConv } from "./kernels/conv.ts";
import { emitConvDepthwise } from "./kernels/conv-depthwise.ts";
import { emitConvDepthwiseGrad } from "./kernels/conv-depthwise-grad.ts";
import { emitConvDepthwiseNhwc } from "./kernels/conv-depthwise-nhwc.ts";
import { emitGather } from "./kernels/gather.ts";
import { emitStridedMove } from "./kernels/strided-move.ts";
import { emitGemmNarrow } from "./kernels/gemm-narrow.ts";
import { emitElementwise } from "./kernels/elementwise.ts";
import { emitPool } from "./kernels/pool.ts";
import { emitReduce } from "./kernels/reduce.ts";
import { emitLstmCell } from "./kernels/lstm-cell.ts";
import { emitMath } from "./kernels/math.ts";
import { emitNormalize } from "./kernels/normalize.ts";

export interface Program {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Exported functions, in the order jobs refer to them. */
  readonly names: readonly string[];
}

export interface ProgramOptions {
  /** Import a shared memory (worker threads). */
  readonly shared: boolean;
  /** Use relaxed-SIMD fused multiply-add in the GEMM. */
  readonly fma: boolean;
}

const cache = new Map<string, Program>();

export function buildProgram(options: ProgramOptions): Program {
  const key = `${options.shared}/${options.fma}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 65536, shared: options.shared });
  const gemm = emitGemm(mod, { fma: options.fma });
  emitMatmul(mod, gemm);
  emitMatmulDot(mod, { fma: options.fma });
  emitIntegerMatmul(mod);
  emitDynamicQuantize(mod);
  emitMatmulDequantized(mod, { fma: options.fma });
  const memory = emitMemory(mod);
  emitConv(mod, gemm, memory);
  emitConvDepthwise(mod, memory, { fma: options.fma });
  emitConvDepthwiseGrad(mod, memory, { fma: options.fma });
  emitConvDepthwiseNhwc(mod, { fma: options.fma });
  emitGather(mod, memory);
  emitStridedMove(mod);
  emitGemmNarrow(mod, { fma: options.fma });
  emitElementwise(mod);
  emitPool(mod, memory);
  emitReduce(mod);
  const math = emitMath(mod);
  emitNormalize(mod, math);
  emitLstmCell(mod, math);
  // Traps when its first argument is nonzero: lets tests check that a failure in a worker reaches the caller.
  defineFunction(mod, "trap", { params: i32Params("fail", "chunk0", "chunk1", "scratch") }, (p) => when(get(p.fail), unreachable));
  const program = { bytes: mod.encode(), names: mod.exportedNames() };
  cache.set(key, program);
  return program;
}
