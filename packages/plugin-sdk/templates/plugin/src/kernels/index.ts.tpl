import type { KernelRegistration } from "@polychip/hal";
import type { HostBuffer } from "@polychip/plugin-sdk";
import { castCopyFillKernels } from "./cast-copy-fill.ts";
import { elementwiseKernels } from "./elementwise.ts";
import { indexingKernels } from "./indexing.ts";
import { matmulKernels } from "./matmul.ts";
import { reduceKernels } from "./reduce.ts";

/**
 * One registration list for the device: naive TypeScript kernels for every required primitive.
 * Replace them one by one with real ones; `pnpm run conformance` says which still pass. Composite
 * ops (conv2d, pooling, softmax, ...) are optional: without a kernel the engine runs their
 * reference decomposition into these primitives.
 */
export const kernels: readonly KernelRegistration<HostBuffer>[] = [
  ...elementwiseKernels,
  ...castCopyFillKernels,
  ...reduceKernels,
  ...matmulKernels,
  ...indexingKernels,
];
