import type { BufferPool } from "./buffer-pool.ts";
import { BufferUsage, MapMode } from "./gpu-constants.ts";
import type { CommandRecorder } from "./recorder.ts";

/**
 * What a kernel declares for a dispatch that can find bad data at run time (an index out of range,
 * an integer division by zero): the error to throw when its shader records a fault.
 */
export interface FaultSpec {
  /** Dispatches whose errors read alike share a key (and one code), so a loop adds no entries. */
  readonly key: string;
  /** The error for the two values the shader recorded with `fault(a, b)` (as i32). */
  readonly error: (a: number, b: number) => Error;
}

/** Words of the record: a claim flag, the code of the first fault (0: none), then its two values. */
export const FAULT_RECORD_WORDS = 4;
const RECORD_BYTES = FAULT_RECORD_WORDS * 4;

/**
 * A shader cannot throw, so kernels that validate their data record the first fault in one small
 * storage buffer of atomics the device owns (see wgsl/fault-record.ts) and carry on with a safe
 * value. The device copies the record back with the next `read` or `sync`, only when a kernel that
 * can fault ran since the last check, resets it, and throws the error its code stands for.
 */
export class KernelFaults {
  readonly buffer: GPUBuffer;
  private readonly codes = new Map<string, number>();
  private readonly errors: FaultSpec["error"][] = [];
  private armed = false;

  constructor(gpu: GPUDevice) {
    this.buffer = gpu.createBuffer({ size: RECORD_BYTES, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: "polychip faults" });
  }

  /** Whether a kernel that can fault ran since the last check. */
  get pending(): boolean {
    return this.armed;
  }

  /** The code a dispatch records its fault under (never 0); the next read or sync checks the record. */
  codeFor(spec: FaultSpec): number {
    let code = this.codes.get(spec.key);
    if (code === undefined) {
      this.errors.push(spec.error);
      code = this.errors.length;
      this.codes.set(spec.key, code);
    }
    this.armed = true;
    return code;
  }

  /**
   * When a kernel that can fault ran since the last check: records a copy of the record and its
   * reset into the open batch, and returns what reads the copy once the batch is submitted (the
   * error of the first fault, or undefined). Otherwise undefined: a read costs nothing extra.
   */
  collect(recorder: CommandRecorder, staging: BufferPool): (() => Promise<Error | undefined>) | undefined {
    if (!this.armed) return undefined;
    this.armed = false;
    const copy = staging.acquire(RECORD_BYTES);
    recorder.copy(this.buffer, 0, copy, 0, RECORD_BYTES);
    recorder.clear(this.buffer);
    return async () => {
      let record: Int32Array;
      try {
        await copy.mapAsync(MapMode.READ, 0, RECORD_BYTES);
        record = new Int32Array(copy.getMappedRange(0, RECORD_BYTES).slice(0));
        copy.unmap();
      } finally {
        staging.release(copy);
      }
      const code = record[1]!;
      if (code === 0) return undefined;
      return this.errors[code - 1]?.(record[2]!, record[3]!) ?? new Error(`webgpu: a kernel recorded an unknown fault code ${code}`);
    };
  }
}
