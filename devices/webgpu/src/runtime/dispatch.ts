import type { WebGpuBuffer } from "./buffer.ts";
import type { FaultSpec } from "./kernel-faults.ts";
import type { ParamBlock } from "./params.ts";

/**
 * One compute dispatch as a kernel describes it. Bindings are numbered in a fixed order:
 * 0 = the uniform parameters, then `reads` (read-only storage), then `writes` (read-write storage),
 * then the device's fault record when `faults` is set.
 */
export interface DispatchSpec {
  /** The HAL op, for errors and profiling. */
  readonly op: string;
  /** Everything the WGSL depends on besides the parameter layout (which is appended automatically). */
  readonly key: string;
  /** The shader source; only called when the pipeline is not cached yet. */
  readonly wgsl: () => string;
  readonly params: ParamBlock;
  readonly reads: readonly WebGpuBuffer[];
  readonly writes: readonly WebGpuBuffer[];
  /** The shader declares the fault record (wgsl/fault-record.ts) at the binding after the writes; its code comes from `faultCode`. */
  readonly faults?: boolean;
  /** A number is a 1-D workgroup count the device spreads over x and y; a triple is used as given. */
  readonly workgroups: number | readonly [number, number, number];
  /** Shown in profiler events. */
  readonly args?: Readonly<Record<string, string | number | boolean>>;
}

/** What the kernels need from the device, so kernel code does not depend on the device class. */
export interface Dispatcher {
  dispatch(spec: DispatchSpec): void;
  /** A scratch buffer that lives until the current batch is submitted. */
  scratch(bytes: number): WebGpuBuffer;
  /** A buffer that lives until free(), which may come as soon as its last kernel is recorded (queue order). */
  alloc(bytes: number): WebGpuBuffer;
  free(buffer: WebGpuBuffer): void;
  /** The code under which a dispatch's shader records a fault with `spec`'s error (see runtime/kernel-faults.ts). */
  faultCode(spec: FaultSpec): number;
  readonly maxWorkgroupsPerDimension: number;
  /** Storage buffers one shader may bind (maxStorageBuffersPerShaderStage): inputs plus outputs of one dispatch. */
  readonly maxStorageBuffersPerStage: number;
  /** A CPU-emulated adapter such as SwiftShader. */
  readonly softwareAdapter: boolean;
}

/**
 * WGSL for the flat invocation index of a 1-D launch spread over x and y (see Dispatcher): workgroup
 * size `size` along x, `gid`/`nwg` being the global_invocation_id and num_workgroups builtins.
 */
export function flatIndex(size: number): string {
  return `gid.x + gid.y * nwg.x * ${size}u`;
}

export const MAIN_BUILTINS =
  "@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u";

/** The flat workgroup index of a 1-D launch spread over x and y. */
export const FLAT_WORKGROUP = "wid.x + wid.y * nwg.x";
