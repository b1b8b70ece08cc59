import assert from "node:assert/strict";
import { test } from "node:test";
import type { KernelFn } from "./device.ts";
import { UnsupportedOpError } from "./errors.ts";
import { KernelRegistry } from "./registry.ts";

const kernel = (): KernelFn => () => {};

test("find returns the kernel registered for the (device, op, dtype) key", () => {
  const registry = new KernelRegistry();
  const add = kernel();
  registry.register({ device: "cpu", op: "add", dtypes: ["float32", "int32"], kernel: add });
  assert.equal(registry.find("cpu", "add", "int32")?.kernel, add);
});

test("find returns undefined for a dtype, op or device without a kernel", () => {
  const registry = new KernelRegistry();
  registry.register({ device: "cpu", op: "add", dtypes: ["float32"], kernel: kernel() });
  assert.equal(registry.find("cpu", "add", "float16"), undefined);
  assert.equal(registry.find("cpu", "mul", "float32"), undefined);
  assert.equal(registry.find("webgpu", "add", "float32"), undefined);
});

test("a '*' registration matches every dtype", () => {
  const registry = new KernelRegistry();
  const copy = kernel();
  registry.register({ device: "cpu", op: "copy", dtypes: "*", kernel: copy });
  assert.equal(registry.find("cpu", "copy", "bool")?.kernel, copy);
  assert.equal(registry.find("cpu", "copy", "float16")?.kernel, copy);
});

test("a later registration for the same key wins, earlier ones still serve other dtypes", () => {
  const registry = new KernelRegistry();
  const reference = kernel();
  const fast = kernel();
  registry.registerAll([
    { device: "cpu", op: "matmul", dtypes: "*", kernel: reference },
    { device: "cpu", op: "matmul", dtypes: ["float32"], kernel: fast },
  ]);
  assert.equal(registry.find("cpu", "matmul", "float32")?.kernel, fast);
  assert.equal(registry.find("cpu", "matmul", "int32")?.kernel, reference);
});

test("registering an op the HAL does not define is refused", () => {
  const registry = new KernelRegistry();
  assert.throws(
    () => registry.register({ device: "cpu", op: "frobnicate", dtypes: "*", kernel: kernel() }),
    (e: unknown) => {
      assert.ok(e instanceof UnsupportedOpError);
      assert.match(e.message, /unknown op 'frobnicate'/);
      return true;
    },
  );
});

test("ops lists a device's op names sorted; unregisterDevice removes them", () => {
  const registry = new KernelRegistry();
  registry.registerAll([
    { device: "npu", op: "relu", dtypes: "*", kernel: kernel() },
    { device: "npu", op: "add", dtypes: "*", kernel: kernel() },
    { device: "npu", op: "add", dtypes: ["int8"], kernel: kernel() },
  ]);
  assert.deepEqual(registry.ops("npu"), ["add", "relu"]);
  registry.unregisterDevice("npu");
  assert.deepEqual(registry.ops("npu"), []);
  assert.equal(registry.find("npu", "add", "float32"), undefined);
});

test("registerDevice refuses a plugin's kernel for another device, naming the plugin, both devices and the op", () => {
  const registry = new KernelRegistry();
  const cpuAdd = kernel();
  registry.registerDevice("cpu", "cpu", [{ device: "cpu", op: "add", dtypes: "*", kernel: cpuAdd }]);
  assert.throws(
    () =>
      registry.registerDevice("acme-npu", "@acme/npu", [
        { device: "acme-npu", op: "mul", dtypes: "*", kernel: kernel() },
        { device: "cpu", op: "add", dtypes: ["float32"], kernel: kernel() },
      ]),
    /plugin '@acme\/npu' may register kernels only for its own device 'acme-npu', but its kernel #1 \('add'\) is registered for device 'cpu'/,
  );
  assert.equal(registry.find("cpu", "add", "float32")?.kernel, cpuAdd);
  assert.equal(registry.find("acme-npu", "mul", "float32"), undefined, "nothing of a refused list is registered");
});

test("registerDevice refuses a registration that a later one for the same op replaces entirely", () => {
  const registry = new KernelRegistry();
  assert.throws(
    () =>
      registry.registerDevice("npu", "npu", [
        { device: "npu", op: "add", dtypes: ["float32"], kernel: kernel() },
        { device: "npu", op: "relu", dtypes: "*", kernel: kernel() },
        { device: "npu", op: "add", dtypes: ["float32", "float16"], kernel: kernel() },
      ]),
    /plugin 'npu' registers 'add' on device 'npu' twice: kernel #2 \(dtypes float32, float16\) replaces all of kernel #0 \(dtypes float32\)/,
  );
  // A fast path for some dtypes after a reference kernel for all is not a duplicate.
  registry.registerDevice("npu", "npu", [
    { device: "npu", op: "add", dtypes: "*", kernel: kernel() },
    { device: "npu", op: "add", dtypes: ["float32"], kernel: kernel() },
  ]);
  assert.deepEqual(registry.ops("npu"), ["add"]);
});
