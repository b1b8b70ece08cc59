import { DeviceError } from "@polychip/hal";

/**
 * What the simulated chip is made of. Per-core figures are per core; the chip runs `cores` of
 * them in parallel, sharing the DRAM bandwidth.
 */
export interface ChipProfile {
  readonly name: string;
  readonly cores: number;
  /** On-chip RAM per core for activations (inputs, outputs, accumulators), KiB. */
  readonly neuronRamKiB: number;
  /** On-chip RAM per core for weights, KiB. */
  readonly weightRamKiB: number;
  /** Device DRAM capacity, MiB. */
  readonly dramMiB: number;
  /** DRAM bandwidth shared by all cores, GB/s (10^9 bytes). */
  readonly dramBandwidthGBps: number;
  /** Tensor unit, per core: int8×int8→int32 multiply-accumulates per cycle. */
  readonly int8MacsPerCycle: number;
  /** Tensor unit, per core: fp16×fp16→fp32 multiply-accumulates per cycle; 0 for an int8-only tensor unit. */
  readonly fp16MacsPerCycle: number;
  /** Vector unit, per core: fp16 elements per cycle (fp32 runs at half rate). */
  readonly vectorLanes: number;
  readonly clockMHz: number;
  /** Host link (PCIe) bandwidth for writes and reads, GB/s. */
  readonly hostLinkGBps: number;
}

/**
 * Modelled on a Cambricon MLU270-class part: 16 cores with 512 KiB neuron RAM and 1 MiB weight
 * RAM each, 16 GiB DDR at ~102 GB/s, 1 GHz, ~128 int8 TOPS peak (4096 MACs/cycle/core) and a
 * quarter of that in fp16.
 */
export const MLU_CLASS_PROFILE: ChipProfile = {
  name: "mlu-class-16c",
  cores: 16,
  neuronRamKiB: 512,
  weightRamKiB: 1024,
  dramMiB: 16384,
  dramBandwidthGBps: 102.4,
  int8MacsPerCycle: 4096,
  fp16MacsPerCycle: 1024,
  vectorLanes: 128,
  clockMHz: 1000,
  hostLinkGBps: 16,
};

/**
 * A small int8-only edge NPU (a camera or sensor SoC's accelerator): one core with tiny on-chip
 * RAMs, a narrow DMA (4 GB/s) and host link, a tensor unit with int8 multipliers only (float16
 * tensor work is refused and falls back, visibly: deploy in int8) and a 16-lane vector unit.
 */
export const EDGE_INT8_PROFILE: ChipProfile = {
  name: "edge-int8-1c",
  cores: 1,
  neuronRamKiB: 64,
  weightRamKiB: 128,
  dramMiB: 256,
  dramBandwidthGBps: 4,
  int8MacsPerCycle: 512,
  fp16MacsPerCycle: 0,
  vectorLanes: 16,
  clockMHz: 500,
  hostLinkGBps: 1,
};

type NumericField = Exclude<keyof ChipProfile, "name">;

interface Rule {
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  readonly powerOfTwo?: boolean;
}

/** Physical plausibility: a core with 0 bytes of RAM or a 100 GHz clock is a typo, not a chip. */
const RULES: Record<NumericField, Rule> = {
  cores: { integer: true, min: 1, max: 4096, unit: "cores" },
  neuronRamKiB: { integer: true, min: 1, max: 65536, unit: "KiB" },
  weightRamKiB: { integer: true, min: 1, max: 65536, unit: "KiB" },
  dramMiB: { integer: false, min: 1 / 1024, max: 16 * 1024 * 1024, unit: "MiB" },
  dramBandwidthGBps: { integer: false, min: 0.001, max: 100000, unit: "GB/s" },
  int8MacsPerCycle: { integer: true, min: 1, max: 1 << 20, unit: "MACs/cycle" },
  fp16MacsPerCycle: { integer: true, min: 0, max: 1 << 20, unit: "MACs/cycle" },
  vectorLanes: { integer: true, min: 1, max: 65536, unit: "lanes", powerOfTwo: true },
  clockMHz: { integer: false, min: 1, max: 10000, unit: "MHz" },
  hostLinkGBps: { integer: false, min: 0.001, max: 100000, unit: "GB/s" },
};

/**
 * A complete, checked profile from the defaults and `overrides`. Unknown fields, non-numbers,
 * non-integers where hardware counts units, out-of-range values and an on-chip RAM larger than
 * the DRAM are refused with a DeviceError naming the field.
 */
export function resolveProfile(overrides: Partial<ChipProfile> = {}, base: ChipProfile = MLU_CLASS_PROFILE): ChipProfile {
  const fail = (msg: string): never => {
    throw new DeviceError(`npu-sim chip profile: ${msg}`);
  };
  for (const key of Object.keys(overrides)) {
    if (key !== "name" && !(key in RULES)) fail(`unknown field '${key}' (fields: name, ${Object.keys(RULES).join(", ")})`);
  }
  const profile = { ...base, ...overrides } as ChipProfile;
  if (typeof profile.name !== "string" || profile.name.trim() === "") fail(`name must be a non-empty string, got ${JSON.stringify(profile.name)}`);
  for (const [key, rule] of Object.entries(RULES) as [NumericField, Rule][]) {
    const v = profile[key] as unknown;
    if (typeof v !== "number" || !Number.isFinite(v)) fail(`${key} must be a finite number of ${rule.unit}, got ${String(v)}`);
    const n = v as number;
    if (rule.integer && !Number.isInteger(n)) fail(`${key} must be a whole number of ${rule.unit}, got ${n}`);
    if (n < rule.min || n > rule.max) fail(`${key} = ${n} ${rule.unit} is impossible: it must lie in [${rule.min}, ${rule.max}]`);
    if (rule.powerOfTwo && (n & (n - 1)) !== 0) fail(`${key} must be a power of two, got ${n}`);
  }
  const onChipKiB = profile.cores * (profile.neuronRamKiB + profile.weightRamKiB);
  if (onChipKiB > profile.dramMiB * 1024) {
    fail(
      `the on-chip RAM (${profile.cores} cores × ${profile.neuronRamKiB + profile.weightRamKiB} KiB = ${onChipKiB} KiB) exceeds the DRAM (${profile.dramMiB} MiB)`,
    );
  }
  return Object.freeze(profile);
}

/** Derived figures the cost model uses. */
export function dramBytes(p: ChipProfile): number {
  return Math.floor(p.dramMiB * 1024 * 1024);
}

/** DRAM bytes per clock cycle for the whole chip. */
export function dramBytesPerCycle(p: ChipProfile): number {
  return (p.dramBandwidthGBps * 1e9) / (p.clockMHz * 1e6);
}

export function cyclesToMs(p: ChipProfile, cycles: number): number {
  return cycles / (p.clockMHz * 1e3);
}
