import { PolychipError } from "@polychip/hal";
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
 *
 * A code stands for a fault spec launched from one origin (KernelCall.origin, the graph node), so the
 * error names the node as the CPU device's launch-time error does once the engine has prefixed it.
 * Codes live from one check to the next: each check takes the table and starts an empty one, so the
 * table holds only the distinct (origin, spec) pairs launched since the last read or sync, however
 * many runs a session makes.
 */
export class KernelFaults {
  readonly buffer: GPUBuffer;
  private codes = new Map<string, number>();
  private errors: FaultSpec["error"][] = [];
  private armed = false;

  constructor(gpu: GPUDevice) {
    this.buffer = gpu.createBuffer({ size: RECORD_BYTES, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: "polychip faults" });
  }

  /** Whether a kernel that can fault ran since the last check. */
  get pending(): boolean {
    return this.armed;
  }

  /** Codes in use until the next check (one per distinct origin and spec launched since the last). */
  get size(): number {
    return this.errors.length;
  }

  /**
   * The code a dispatch records its fault under (never 0); the next read or sync checks the record.
   * `origin` names the launch (KernelCall.origin): its error's message is prefixed with it.
   */
  codeFor(spec: FaultSpec, origin?: string): number {
    const key = origin === undefined ? spec.key : `${origin}\u0000${spec.key}`;
    let code = this.codes.get(key);
    if (code === undefined) {
      this.errors.push(origin === undefined ? spec.error : (a, b) => withOrigin(spec.error(a, b), origin));
      code = this.errors.length;
      this.codes.set(key, code);
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
    // Every dispatch that may have used these codes is recorded before the copy below: later ones get codes anew.
    const errors = this.errors;
    this.errors = [];
    this.codes = new Map();
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
      return errors[code - 1]?.(record[2]!, record[3]!) ?? new Error(`webgpu: a kernel recorded an unknown fault code ${code}`);
    };
  }
}

/** `err` with `${origin}: ` before its message, of the same class (as the engine names a node whose launch threw). */
function withOrigin(err: Error, origin: string): Error {
  if (!(err instanceof PolychipError)) return new Error(`${origin}: ${err.message}`, { cause: err });
  const Ctor = err.constructor as new (message: string, cause?: unknown) => PolychipError;
  return new Ctor(`${origin}: ${err.message}`, err);
}
