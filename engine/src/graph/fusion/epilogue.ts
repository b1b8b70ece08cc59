import { EPILOGUE_BASES, type DType } from "@polychip/hal";

/**
 * Most operands (GEMM inputs, extra inputs, outputs) one epilogue takes: WebGPU's default
 * storage-binding limit, past which a device would split the kernel again anyway (and, in a
 * training step, an optimiser update with its many operands is better left to run in place).
 */
export const MAX_EPILOGUE_OPERANDS = 8;

const EPILOGUE_OF = new Map(Object.entries(EPILOGUE_BASES).map(([op, { base }]) => [base, op]));

/** Whether the device runs epilogue `op` (conv2dEpilogue, matmulEpilogue, ...) natively at `dtype`. */
export type EpilogueSupport = (op: string, dtype: "float32" | "float16") => boolean;

/**
 * The epilogue op a GEMM (`base`: conv2d, matmul, conv2dGradInput) producing `dtype` can head, if
 * any: only float32 and float16 products (a half product rounds before the program, as the GEMM
 * would store it), and only where `supports` says the device has the kernel, since elsewhere the
 * epilogue would run as the same two ops.
 */
export function epilogueOf(base: string, dtype: DType | undefined, supports: EpilogueSupport | undefined): string | undefined {
  const op = EPILOGUE_OF.get(base);
  if (!op || !supports || (dtype !== "float32" && dtype !== "float16")) return undefined;
  return supports(op, dtype) ? op : undefined;
}
