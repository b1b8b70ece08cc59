import assert from "node:assert/strict";
import { test } from "node:test";
import { DeviceError } from "@polychip/hal";
import { MLU_CLASS_PROFILE, resolveProfile } from "./profile.ts";

const refused = (overrides: Record<string, unknown>, pattern: RegExp) =>
  assert.throws(
    () => resolveProfile(overrides as never),
    (err: unknown) => err instanceof DeviceError && pattern.test((err as Error).message),
  );

test("the default MLU-class profile is valid and unchanged by resolving", () => {
  assert.deepEqual(resolveProfile(), MLU_CLASS_PROFILE);
});

test("overrides replace single fields", () => {
  const p = resolveProfile({ cores: 4, dramBandwidthGBps: 51.2 });
  assert.equal(p.cores, 4);
  assert.equal(p.dramBandwidthGBps, 51.2);
  assert.equal(p.neuronRamKiB, MLU_CLASS_PROFILE.neuronRamKiB);
});

test("zero cores are refused, naming the field", () => refused({ cores: 0 }, /cores = 0 cores is impossible/));

test("a fractional core count is refused", () => refused({ cores: 2.5 }, /cores must be a whole number/));

test("negative on-chip RAM is refused", () => refused({ neuronRamKiB: -512 }, /neuronRamKiB = -512 KiB is impossible/));

test("a NaN bandwidth is refused", () => refused({ dramBandwidthGBps: NaN }, /dramBandwidthGBps must be a finite number/));

test("a string where a number belongs is refused", () => refused({ clockMHz: "1000" }, /clockMHz must be a finite number/));

test("a 100 GHz clock is refused", () => refused({ clockMHz: 100000 }, /clockMHz = 100000 MHz is impossible/));

test("vector lanes must be a power of two", () => refused({ vectorLanes: 100 }, /vectorLanes must be a power of two/));

test("on-chip RAM larger than the DRAM is refused", () => refused({ dramMiB: 8 }, /on-chip RAM .* exceeds the DRAM \(8 MiB\)/));

test("an unknown field (a typo) is refused", () => refused({ coress: 4 }, /unknown field 'coress'/));

test("an empty name is refused", () => refused({ name: "" }, /name must be a non-empty string/));
