import type { ProfileEvent } from "@polychip/hal";
import type { BufferPool } from "./buffer-pool.ts";
import { BufferUsage, MapMode } from "./gpu-constants.ts";
import type { ParamArena } from "./param-arena.ts";

export interface TimedDispatch {
  readonly name: string;
  readonly args?: Readonly<Record<string, string | number | boolean>>;
}

export interface RecorderHooks {
  /** Called after each submit (the device counts submits). */
  submitted(): void;
  track(p: Promise<unknown>): void;
  emit(event: ProfileEvent): void;
}

/**
 * Records a batch of work into one open command encoder (one compute pass, or one pass per kernel
 * when timestamp queries time them) and submits it as one command buffer: a training step costs a
 * few submits rather than one per kernel. Uniform parameters go up with the batch (ParamArena),
 * and buffers lent for one batch go back to their pool once it is submitted.
 */
export class CommandRecorder {
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private timing?: { querySet: GPUQuerySet; resolve: GPUBuffer };
  private timed: TimedDispatch[] = [];
  private afterSubmit: (() => void)[] = [];
  private launches = 0;

  constructor(
    private readonly gpu: GPUDevice,
    private readonly staging: BufferPool,
    private readonly arena: ParamArena,
    readonly batchSize: number,
    private readonly hooks: RecorderHooks,
  ) {}

  /** Whether work is recorded and not yet submitted. */
  get recording(): boolean {
    return this.encoder !== undefined;
  }

  private openEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.gpu.createCommandEncoder({ label: "polychip batch" }));
  }

  /** The open compute pass (opened when needed). */
  computePass(): GPUComputePassEncoder {
    return (this.pass ??= this.openEncoder().beginComputePass());
  }

  /** A pass of its own for one kernel, whose start and end the GPU timestamps; close it with endPass(). */
  timedPass(dispatch: TimedDispatch): GPUComputePassEncoder {
    this.endPass();
    const t = (this.timing ??= {
      querySet: this.gpu.createQuerySet({ type: "timestamp", count: 2 * this.batchSize }),
      resolve: this.gpu.createBuffer({ size: 16 * this.batchSize, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC }),
    });
    const i = this.timed.length;
    this.timed.push(dispatch);
    this.pass = this.openEncoder().beginComputePass({
      timestampWrites: { querySet: t.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    });
    return this.pass;
  }

  endPass(): void {
    this.pass?.end();
    this.pass = undefined;
  }

  copy(source: GPUBuffer, sourceOffset: number, target: GPUBuffer, targetOffset: number, size: number): void {
    this.endPass();
    this.openEncoder().copyBufferToBuffer(source, sourceOffset, target, targetOffset, size);
  }

  /** Zeroes `target` in order with the recorded work. */
  clear(target: GPUBuffer): void {
    this.endPass();
    this.openEncoder().clearBuffer(target);
  }

  /** Runs `fn` once the current batch is submitted (or at once after the next submit). */
  afterNextSubmit(fn: () => void): void {
    this.afterSubmit.push(fn);
  }

  /** Counts a recorded kernel; submits when the batch is full. */
  launched(): void {
    if (++this.launches >= this.batchSize) this.submit();
  }

  /** Submits everything recorded so far. */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    const timed = this.timed;
    let times: GPUBuffer | undefined;
    if (timed.length > 0 && this.timing) {
      const bytes = 16 * timed.length;
      times = this.staging.acquire(bytes);
      this.encoder.resolveQuerySet(this.timing.querySet, 0, 2 * timed.length, this.timing.resolve, 0);
      this.encoder.copyBufferToBuffer(this.timing.resolve, 0, times, 0, bytes);
    }
    this.arena.upload(this.gpu.queue);
    const commands = this.encoder.finish();
    this.encoder = undefined;
    this.gpu.queue.submit([commands]);
    const submittedAt = performance.now();
    this.hooks.submitted();
    this.launches = 0;
    this.timed = [];
    const after = this.afterSubmit;
    this.afterSubmit = [];
    for (const fn of after) fn();
    if (times) this.hooks.track(this.emitTimestamps(times, timed, submittedAt));
  }

  /** Without timestamp queries a kernel's time is the wall time from its own submit until the queue is done with it. */
  submitTimedByClock(name: string, args: Record<string, string | number | boolean> | undefined): void {
    this.submit();
    const submittedAt = performance.now();
    this.hooks.track(
      this.gpu.queue.onSubmittedWorkDone().then(() => {
        this.hooks.emit({
          device: "webgpu",
          name,
          category: "kernel",
          start: submittedAt,
          duration: performance.now() - submittedAt,
          args: { ...args, clock: "wall" },
        });
      }),
    );
  }

  private async emitTimestamps(times: GPUBuffer, timed: TimedDispatch[], submittedAt: number): Promise<void> {
    const bytes = 16 * timed.length;
    await times.mapAsync(MapMode.READ, 0, bytes);
    const ns = new BigUint64Array(times.getMappedRange(0, bytes).slice(0));
    times.unmap();
    this.staging.release(times);
    const origin = ns[0]!;
    timed.forEach((t, i) => {
      const begin = Number(ns[2 * i]! - origin) / 1e6;
      const end = Number(ns[2 * i + 1]! - origin) / 1e6;
      this.hooks.emit({
        device: "webgpu",
        name: t.name,
        category: "kernel",
        start: submittedAt + begin,
        duration: Math.max(0, end - begin),
        args: { ...t.args, clock: "gpu" },
      });
    });
  }

  /** Drops what is recorded (the device is going away). */
  discard(): void {
    this.encoder = undefined;
    this.pass = undefined;
  }
}
