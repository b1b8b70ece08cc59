import type { Device, DeviceBuffer } from "@polychip/hal";

/**
 * Keeps the engine's own work on a device in order when some of it is asynchronous (a CPU
 * fallback that must first read inputs back, a transfer from another device). While such work is
 * outstanding, later launches are chained behind it instead of reaching the device, so the device
 * still sees everything in program order — and the engine's API stays synchronous.
 */
export class DeviceQueue {
  private tail: Promise<void> = Promise.resolve();
  private outstanding = 0;
  private failure: unknown;

  constructor(readonly device: Device<any>) {}

  get busy(): boolean {
    return this.outstanding > 0;
  }

  /** Runs `work` now, or after the outstanding asynchronous work. */
  submit(work: () => void): void {
    this.throwIfFailed();
    if (this.outstanding === 0) work();
    else this.chain(async () => work());
  }

  /** Queues asynchronous work; everything submitted after it waits for it. */
  submitAsync(work: () => Promise<void>): void {
    this.throwIfFailed();
    this.chain(work);
  }

  /** Reads bytes once everything queued before has run. */
  read(buffer: DeviceBuffer, byteOffset: number, byteLength: number): Promise<Uint8Array> {
    this.throwIfFailed();
    if (this.outstanding === 0) return this.device.read(buffer, byteOffset, byteLength);
    return new Promise<Uint8Array>((resolve, reject) => {
      this.chain(async () => {
        await this.device.read(buffer, byteOffset, byteLength).then(resolve, reject);
      });
    });
  }

  async sync(): Promise<void> {
    await this.tail;
    this.throwIfFailed();
    await this.device.sync();
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
