import { HAL_VERSION, KernelError, type Attrs, type KernelCall, type KernelFn, type TensorMeta } from "@polychip/hal";
import { HostDevice, kernelEvent, transferEvent, type HostBuffer } from "@polychip/plugin-sdk";
import type { KernelStats } from "./chip/tile-program.ts";
import { NPU_DTYPES } from "./dtypes.ts";
import { cyclesToMs, dramBytes, resolveProfile, type ChipProfile } from "./profile.ts";

export interface NpuSimOptions {
  /** Overrides of the base profile (the MLU-class one unless `base` says otherwise); validated. */
  readonly profile?: Partial<ChipProfile>;
  /** The profile the overrides apply to. */
  readonly base?: ChipProfile;
  /** The device name (default "npu-sim"); a second chip profile is a second device. */
  readonly name?: string;
}

/** The kernel log keeps the most recent launches only, so a long deployment does not grow without bound. */
const LOG_LIMIT = 10000;

/**
 * The simulated NPU. Its DRAM is host memory, capped at the profile's capacity; kernels run as
 * tile programs whose cost model advances a simulated clock. Profiler event durations are
 * simulated times, so a timeline shows what the chip would have done, not how long the
 * simulation took. Starts are mapped onto the performance.now() clock as a queue would: a piece
 * of work starts when it is issued or when the chip finishes the previous one, whichever is later.
 */
export class NpuSimDevice extends HostDevice {
  readonly profile: ChipProfile;
  private clockMs = 0;
  /** performance.now() time at which the simulated chip finishes its queued work. */
  private busyUntil = 0;
  private kernelMs = 0;
  private transferMs = 0;
  private pending: KernelStats | undefined;
  readonly kernelLog: KernelStats[] = [];
  /** Set by the plugin's create() (index.ts): the lane program of a fused group, for compile reports. */
  kernelSource?: (op: string, inputs: readonly TensorMeta[], attrs: Attrs) => string | undefined;

  constructor(options: NpuSimOptions = {}) {
    const profile = resolveProfile(options.profile, options.base);
    const dram = dramBytes(profile);
    super(
      {
        name: options.name ?? "npu-sim",
        vendor: `Polychip (simulated NPU, ${profile.name})`,
        kind: "npu",
        halVersion: HAL_VERSION,
        details: {
          profile: profile.name,
          cores: profile.cores,
          neuronRamKiB: profile.neuronRamKiB,
          weightRamKiB: profile.weightRamKiB,
          dramMiB: profile.dramMiB,
          dramBandwidthGBps: profile.dramBandwidthGBps,
          clockMHz: profile.clockMHz,
        },
      },
      {
        // bool is a byte mask (comparisons, where); int32 holds indices and int8 accumulators.
        dtypes: NPU_DTYPES,
        limits: { maxBufferBytes: Math.min(dram, 2 ** 31 - 1), totalMemoryBytes: dram },
        features: ["f16", "timestamps", "subgraph-compile"],
      },
      { memoryName: "DRAM" },
    );
    this.profile = profile;
  }

  /** Simulated time since creation: kernels plus host transfers, ms. */
  get simulatedTimeMs(): number {
    return this.clockMs;
  }

  get kernelTimeMs(): number {
    return this.kernelMs;
  }

  get transferTimeMs(): number {
    return this.transferMs;
  }

  get lastKernel(): KernelStats | undefined {
    return this.kernelLog[this.kernelLog.length - 1];
  }

  resetStats(): void {
    this.kernelMs = 0;
    this.transferMs = 0;
    this.kernelLog.length = 0;
  }

  /** Called by a kernel's tile program when it finishes; the launch is then charged and reported. */
  record(stats: KernelStats): void {
    this.pending = stats;
  }

  protected override runKernel(kernel: KernelFn<HostBuffer>, call: KernelCall<HostBuffer>): void {
    this.pending = undefined;
    kernel(call, this);
    const stats = this.pending as KernelStats | undefined;
    if (!stats) throw new KernelError(`npu-sim: kernel for '${call.op}' finished without reporting its tile program`);
    const simulatedStartMs = this.clockMs;
    const start = this.occupy(stats.simulatedMs);
    this.kernelMs += stats.simulatedMs;
    this.kernelLog.push(stats);
    if (this.kernelLog.length > LOG_LIMIT) this.kernelLog.shift();
    if (this.profiling) {
      const { op: _op, ...args } = stats;
      this.emit(kernelEvent(this.info.name, call, start, stats.simulatedMs, { ...args, simulatedStartMs }));
    }
  }

  protected override onTransfer(direction: "host-to-device" | "device-to-host", bytes: number): void {
    const ms = (bytes / (this.profile.hostLinkGBps * 1e9)) * 1e3;
    const simulatedStartMs = this.clockMs;
    const start = this.occupy(ms);
    this.transferMs += ms;
    if (this.profiling)
      this.emit(transferEvent(this.info.name, direction, bytes, start, ms, { link: "host", gbps: this.profile.hostLinkGBps, simulatedStartMs }));
  }

  /** Advances the simulated clock by `ms` and returns when, on the performance.now() clock, that work starts. */
  private occupy(ms: number): number {
    const start = Math.max(performance.now(), this.busyUntil);
    this.busyUntil = start + ms;
    this.clockMs += ms;
    return start;
  }

  /** Simulated milliseconds for a number of cycles at this chip's clock. */
  cyclesToMs(cycles: number): number {
    return cyclesToMs(this.profile, cycles);
  }
}

/** The NPU device a kernel was launched on; a kernel on any other device is a registration bug. */
export function npuOf(device: unknown, op: string): NpuSimDevice {
  if (!(device instanceof NpuSimDevice)) throw new KernelError(`npu-sim ${op}: kernel launched on a device that is not npu-sim`);
  return device;
}
