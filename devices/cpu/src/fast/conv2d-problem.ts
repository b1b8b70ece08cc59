import type { GeneratedModule } from "../runtime/runtime.ts";

/**
 * One convolution as the WASM kernels see it: byte addresses of contiguous NCHW operands (bias 0
 * when absent) and the sizes of conv2dGeometry, flattened. The forward drivers take it, so a
 * gradient can hand them a problem of its own making (conv2d-grad-input.ts).
 */
export interface ConvProblem {
  image: number;
  weight: number;
  out: number;
  bias: number;
  N: number;
  C: number;
  H: number;
  W: number;
  OC: number;
  KH: number;
  KW: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  OH: number;
  OW: number;
  groups: number;
  Cg: number;
  OCg: number;
}

/**
 * An epilogue a forward conv kernel applies as it stores its outputs (conv2d-epilogue.ts): the
 * module generated for its program and kernel, and the descriptor it reads, written after the
 * kernel's geometry record.
 */
export interface ForwardEpilogue {
  readonly module: GeneratedModule;
  readonly descriptorBytes: number;
  readonly writeDescriptor: (address: number) => void;
}
