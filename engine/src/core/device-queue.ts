import { DeviceTimeoutError, formatShape, type Device, type DeviceBuffer, type DType, type KernelCall, type Shape } from "@polychip/hal";
import { activityListener } from "./device-activity.ts";
import { deadlineFor, withDeadline } from "./deadline.ts";

/** What a read fetches, so a timeout can name it. */
export interface ReadTarget {
  readonly shape: Shape;
  readonly dtype: DType;
}

const describeCall = (call: KernelCall) => `${call.op} (inputs ${call.inputs.map((v) => `${v.dtype}${formatShape(v.shape)}`).join(", ") || "none"})`;

/**
 * Keeps the engine's own work on a device in order when some of it is asynchronous (a CPU
 * fallback that must first read inputs back, a transfer from another device). While such work is
 * outstanding, later launches are chained behind it instead of reaching the device, so the device
 * still sees everything in program order — and the engine's API stays synchronous.
 * Everything that can wait (read, sync) has a deadline (core/deadline.ts): a device that never
 * answers ends in a DeviceTimeoutError naming the device, the op, shapes and dtypes.
 */
export class DeviceQueue {
  private tail: Promise<void> = Promise.resolve();
  private outstanding = 0;
  private failure: unknown;
  /** The last kernel handed to the device, named when a sync times out. */
  private lastCall: KernelCall | undefined;

  constructor(readonly device: Device<any>) {}

  get busy(): boolean {
    return this.outstanding > 0;
  }

  /** Runs `work` now, or after the outstanding asynchronous work; `call` names the kernel it launches, if any. */
  submit(work: () => void, call?: KernelCall): void {
    this.throwIfFailed();
    // Nothing outstanding (almost always): run it without making a closure, a small model launches thousands a second.
    if (this.outstanding === 0) {
      if (call) this.launching(call, work);
      else work();
    } else this.chain(async () => (call ? this.launching(call, work) : work()));
  }

  /** Queues asynchronous work; everything submitted after it waits for it. */
  submitAsync(work: () => Promise<void>): void {
    this.throwIfFailed();
    this.chain(work);
  }

  /** Reads bytes once everything queued before has run; `target` names what is read if it times out. */
  read(buffer: DeviceBuffer, byteOffset: number, byteLength: number, target?: ReadTarget): Promise<Uint8Array> {
    this.throwIfFailed();
    // Nothing queued and memory the host sees: the bytes are final now, and a synchronous read
    // cannot outlive a deadline timer (which could only fire after it returned), so none is set.
    if (this.outstanding === 0 && this.device.readSync) {
      try {
        return Promise.resolve(this.device.readSync(buffer, byteOffset, byteLength));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const reading =
      this.outstanding === 0
        ? this.device.read(buffer, byteOffset, byteLength)
        : new Promise<Uint8Array>((resolve, reject) => {
            this.chain(async () => {
              await this.device.read(buffer, byteOffset, byteLength).then(resolve, reject);
            });
          });
    const ms = deadlineFor(byteLength);
    const what = target ? `${target.dtype}${formatShape(target.shape)} (${byteLength} bytes)` : `${byteLength} bytes`;
    return withDeadline(reading, ms, () => this.timeout(`read of ${what}`, ms));
  }

  /**
   * The bytes now, when nothing is queued and the host sees the device's memory (readSync);
   * undefined otherwise (then `read`). Errors of earlier work are thrown as `read` would reject.
   */
  readNow(buffer: DeviceBuffer, byteOffset: number, byteLength: number): Uint8Array | undefined {
    if (this.outstanding !== 0 || !this.device.readSync) return undefined;
    this.throwIfFailed();
    return this.device.readSync(buffer, byteOffset, byteLength);
  }

  async sync(): Promise<void> {
    const ms = deadlineFor(0);
    await withDeadline(this.tail, ms, () => this.timeout("sync (waiting for queued work)", ms));
    this.throwIfFailed();
    await withDeadline(this.device.sync(), ms, () => this.timeout("sync", ms));
  }

  private launching(call: KernelCall, work: () => void): void {
    this.lastCall = call;
    const listener = activityListener();
    if (!listener) return work();
    listener(this.device.info.name, call);
    try {
      work();
    } finally {
      listener(this.device.info.name, undefined);
    }
  }

  private timeout(op: string, ms: number): DeviceTimeoutError {
    const last = this.lastCall ? `; the last kernel queued was ${describeCall(this.lastCall)}` : "";
    return new DeviceTimeoutError(
      `device '${this.device.info.name}': ${op} did not finish within ${Math.round(ms)} ms${last} (deadline: setDeviceDeadline or POLYCHIP_DEVICE_TIMEOUT_MS)`,
    );
  }

  private chain(work: () => Promise<void>): void {
    this.outstanding++;
    this.tail = this.tail.then(async () => {
      try {
        if (this.failure === undefined) await work();
      } catch (err) {
        this.failure = err;
      } finally {
        this.outstanding--;
      }
    });
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      throw err;
    }
  }
}
