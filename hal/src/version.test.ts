import assert from "node:assert/strict";
import { test } from "node:test";
import { HalVersionError } from "./errors.ts";
import { assertHalCompatible, HAL_VERSION, isHalCompatible } from "./version.ts";

test("the HAL declares a semantic version", () => {
  assert.match(HAL_VERSION, /^\d+\.\d+\.\d+$/);
});

test("a device built for the same major and an older or equal minor is compatible", () => {
  assert.equal(isHalCompatible("1.0.0", "1.0.0"), true);
  assert.equal(isHalCompatible("1.0.7", "1.2.0"), true);
  assert.equal(isHalCompatible("1.2.0", "1.2.3"), true);
});

test("a device built for a newer minor or another major is refused", () => {
  assert.equal(isHalCompatible("1.3.0", "1.2.0"), false);
  assert.equal(isHalCompatible("2.0.0", "1.9.0"), false);
  assert.equal(isHalCompatible("0.9.0", "1.0.0"), false);
});

test("a malformed version is refused", () => {
  assert.equal(isHalCompatible("1.0", "1.0.0"), false);
  assert.equal(isHalCompatible("v1.0.0", "1.0.0"), false);
});

test("assertHalCompatible accepts the engine's own version", () => {
  assert.doesNotThrow(() => assertHalCompatible("device cpu", HAL_VERSION));
});

test("assertHalCompatible refuses with a HalVersionError naming the device and both versions", () => {
  assert.throws(
    () => assertHalCompatible("device npu-sim", "2.1.0", "1.4.0"),
    (e: unknown) => {
      assert.ok(e instanceof HalVersionError);
      assert.match(e.message, /device npu-sim/);
      assert.match(e.message, /HAL 2\.1\.0/);
      assert.match(e.message, /HAL 1\.4\.0/);
      return true;
    },
  );
});
