import assert from "node:assert/strict";
import { test } from "node:test";
import { DeviceTimeoutError, HAL_VERSION, type Device, type DevicePlugin } from "@polychip/hal";
import { CpuDevice, cpuKernels } from "@polychip/device-cpu";
import { deadlineFor, setDeviceDeadline } from "./core/deadline.ts";
import { registerPlugin, tensor } from "./index.ts";

/** A CPU-backed device whose read and/or sync never settle, like a lost GPU or a dead worker. */
function hangingPlugin(name: string, hang: { read?: boolean; sync?: boolean }): DevicePlugin {
  return {
    name,
    halVersion: HAL_VERSION,
    kernels: cpuKernels.map((k) => ({ ...k, device: name })),
    create(): Device {
      const inner = new CpuDevice();
      return {
        info: { ...inner.info, name, vendor: "test" },
        capabilities: inner.capabilities,
        alloc: (b) => inner.alloc(b),
        free: (b) => inner.free(b as never),
        write: (b, d, o) => inner.write(b as never, d, o),
        read: (b, o, n) => (hang.read ? new Promise(() => {}) : inner.read(b as never, o, n)),
        launch: (k, call) => inner.launch(k as never, call as never),
        sync: () => (hang.sync ? new Promise(() => {}) : inner.sync()),
      };
    },
  };
}

async function withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const previous = setDeviceDeadline({ baseMs: ms, msPerMiB: 0 });
  try {
    return await fn();
  } finally {
    setDeviceDeadline(previous);
  }
}

test("a read that never settles ends in a DeviceTimeoutError naming device, op, shape and dtype", async () => {
  await registerPlugin(hangingPlugin("hang-read", { read: true }));
  const t = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3], device: "hang-read" }).relu();
  const started = performance.now();
  await withDeadline(150, () =>
    assert.rejects(
      t.data(),
      (e: Error) =>
        e instanceof DeviceTimeoutError &&
        /device 'hang-read': read of float32\[2, 3\] \(24 bytes\) did not finish within 150 ms; the last kernel queued was relu \(inputs float32\[2, 3\]\)/.test(
          e.message,
        ),
    ),
  );
  const ms = performance.now() - started;
  assert.ok(ms >= 140 && ms < 300, `expired after ${ms.toFixed(0)} ms`);
});

test("a sync that never settles ends in a DeviceTimeoutError", async () => {
  const device = await registerPlugin(hangingPlugin("hang-sync", { sync: true }));
  const { getDeviceEntry } = await import("./core/devices.ts");
  await withDeadline(100, () =>
    assert.rejects(
      getDeviceEntry(device.info.name).queue.sync(),
      (e: Error) => e instanceof DeviceTimeoutError && /device 'hang-sync': sync did not finish within 100 ms/.test(e.message),
    ),
  );
});

test("a healthy device is unaffected by the deadline", async () => {
  await registerPlugin(hangingPlugin("healthy", {}));
  const values = await withDeadline(1000, () => tensor([1, -2], { device: "healthy" }).relu().data());
  assert.deepEqual(Array.from(values), [1, 0]);
});

test("the deadline is generous by default, grows with the bytes moved, and refuses nonsense", () => {
  assert.ok(deadlineFor(0) >= 60_000);
  assert.equal(deadlineFor(64 << 20) - deadlineFor(0), 64_000);
  assert.throws(() => setDeviceDeadline({ baseMs: NaN }), /baseMs must be a finite number/);
});
