import type { DType } from "@polychip/hal";

/** Every dtype npu-sim stores: bool as a byte mask; each op's own rules (checked before launch) narrow it per op. */
export const NPU_DTYPES: readonly DType[] = ["float32", "float16", "int32", "int8", "uint8", "bool"];
