import { KernelError } from "@polychip/hal";
import { cyclesToMs, dramBytesPerCycle, type ChipProfile } from "../profile.ts";

/** One tile on one core: DMA in, compute, DMA out. */
export interface TileStep {
  readonly inBytes: number;
  readonly computeCycles: number;
  readonly outBytes: number;
}

export type Unit = "tensor" | "vector";

/** What one kernel launch cost on the simulated chip; these become the profiler event's args. */
export interface KernelStats {
  readonly op: string;
  readonly unit: Unit;
  readonly dtype: string;
  readonly cycles: number;
  readonly simulatedMs: number;
  /** Busiest core's compute cycles and DMA cycles (before overlap). */
  readonly computeCycles: number;
  readonly dmaCycles: number;
  readonly boundBy: "compute" | "dma" | "idle";
  readonly macs: number;
  /** macs / (cycles × MACs per cycle × cores): how busy the tensor units were (0 for vector kernels). */
  readonly macUtilisation: number;
  readonly dmaBytes: number;
  /** Largest per-core footprint this kernel reserved, bytes. */
  readonly neuronRamHighWaterBytes: number;
  readonly weightRamHighWaterBytes: number;
  readonly onChipHighWaterBytes: number;
  readonly tiles: number;
  readonly coresUsed: number;
  /** A fused launch's member ops in program order ("conv2d+add+relu"), so a profile shows what it stands for. */
  readonly members?: string;
}

/**
 * The schedule of one kernel: tiles assigned to cores, each core double-buffering (the DMA of
 * tile i+1 in and tile i-1 out overlaps the compute of tile i), all cores sharing the DRAM
 * bandwidth. Kernels reserve their per-core on-chip footprint first, so a tiling that does not
 * fit fails before any work is charged.
 */
export class TileProgram {
  private readonly perCore: TileStep[][];
  private neuronHighWater = 0;
  private weightHighWater = 0;
  macs = 0;
  /** Set by a kernel that runs several ops as one launch (KernelStats.members). */
  members: string | undefined;

  constructor(
    readonly profile: ChipProfile,
    readonly op: string,
    readonly unit: Unit,
    readonly dtype: string,
  ) {
    this.perCore = Array.from({ length: profile.cores }, () => []);
  }

  get neuronCapacity(): number {
    return this.profile.neuronRamKiB * 1024;
  }

  get weightCapacity(): number {
    return this.profile.weightRamKiB * 1024;
  }

  /** Whether a per-core footprint fits the on-chip RAMs. */
  fits(neuronBytes: number, weightBytes = 0): boolean {
    return neuronBytes <= this.neuronCapacity && weightBytes <= this.weightCapacity;
  }

  /** Claims the per-core footprint of the chosen tiling; throws KernelError when it cannot fit. */
  reserve(neuronBytes: number, weightBytes: number, what: string): void {
    if (!this.fits(neuronBytes, weightBytes)) {
      throw new KernelError(
        `npu-sim ${this.op}: cannot tile ${what}: the smallest tile needs ${neuronBytes} bytes of neuron RAM and ${weightBytes} bytes of weight RAM ` +
          `per core, but a core of '${this.profile.name}' has ${this.neuronCapacity} and ${this.weightCapacity}`,
      );
    }
    this.neuronHighWater = Math.max(this.neuronHighWater, neuronBytes);
    this.weightHighWater = Math.max(this.weightHighWater, weightBytes);
  }

  step(core: number, step: TileStep): void {
    this.perCore[core % this.profile.cores]!.push(step);
  }

  /** Cycles for `count` elementwise operations on the vector unit (fp32 at half the fp16 rate). */
  vectorCycles(count: number, opsPerElement: number, float32: boolean): number {
    return Math.ceil((count * opsPerElement * (float32 ? 2 : 1)) / this.profile.vectorLanes);
  }

  /** Cycles for `macs` multiply-accumulates on one core's tensor unit. */
  tensorCycles(macs: number, int8: boolean): number {
    if (!int8 && this.profile.fp16MacsPerCycle === 0) {
      throw new KernelError(
        `npu-sim ${this.op}: the tensor unit of '${this.profile.name}' has int8 multipliers only; deploy this model in int8 (float16 tensor work falls back)`,
      );
    }
    return Math.ceil(macs / (int8 ? this.profile.int8MacsPerCycle : this.profile.fp16MacsPerCycle));
  }

  finish(int8Macs = false): KernelStats {
    const active = this.perCore.filter((s) => s.length > 0);
    const bytesPerCycle = dramBytesPerCycle(this.profile) / Math.max(1, active.length);
    let cycles = 0;
    let computeCycles = 0;
    let dmaCycles = 0;
    let dmaBytes = 0;
    let tiles = 0;
    for (const steps of active) {
      const dma = (bytes: number) => bytes / bytesPerCycle;
      const n = steps.length;
      // Prologue: the first tile's input cannot overlap anything; epilogue: the last tile's output.
      let t = dma(steps[0]!.inBytes) + dma(steps[n - 1]!.outBytes);
      let compute = 0;
      let moved = 0;
      for (let i = 0; i < n; i++) {
        const s = steps[i]!;
        const overlapped = dma((steps[i + 1]?.inBytes ?? 0) + (steps[i - 1]?.outBytes ?? 0));
        t += Math.max(s.computeCycles, overlapped);
        compute += s.computeCycles;
        moved += s.inBytes + s.outBytes;
      }
      cycles = Math.max(cycles, t);
      computeCycles = Math.max(computeCycles, compute);
      dmaCycles = Math.max(dmaCycles, dma(moved));
      dmaBytes += moved;
      tiles += n;
    }
    cycles = Math.ceil(cycles);
    const peak = (int8Macs ? this.profile.int8MacsPerCycle : this.profile.fp16MacsPerCycle) * this.profile.cores;
    return {
      op: this.op,
      unit: this.unit,
      dtype: this.dtype,
      cycles,
      simulatedMs: cyclesToMs(this.profile, cycles),
      computeCycles: Math.ceil(computeCycles),
      dmaCycles: Math.ceil(dmaCycles),
      boundBy: cycles === 0 ? "idle" : computeCycles >= dmaCycles ? "compute" : "dma",
      macs: this.macs,
      macUtilisation: this.unit === "tensor" && cycles > 0 ? this.macs / (cycles * peak) : 0,
      dmaBytes,
      neuronRamHighWaterBytes: this.neuronHighWater,
      weightRamHighWaterBytes: this.weightHighWater,
      onChipHighWaterBytes: this.neuronHighWater + this.weightHighWater,
      tiles,
      coresUsed: active.length,
      ...(this.members ? { members: this.members } : {}),
    };
  }
}
