import assert from "node:assert/strict";
import { test } from "node:test";
import { DeviceTimeoutError, type Device, type DeviceBuffer } from "@polychip/hal";
import { setDeviceDeadline } from "./deadline.ts";
import { DeviceQueue } from "./device-queue.ts";

const buffer: DeviceBuffer = { device: "fake", bytes: 4 };

/** A device whose memory is one array: `read` as given (default: never settles), `readSync` when `sync` is true. */
function fakeDevice(memory: Uint8Array, options: { sync?: boolean; read?: () => Promise<Uint8Array> } = {}) {
  const calls = { read: 0, readSync: 0 };
  const device = {
    info: { name: "fake" },
    read: () => {
      calls.read++;
      return options.read ? options.read() : new Promise<Uint8Array>(() => {});
    },
    ...(options.sync
      ? {
          readSync: (_b: unknown, offset: number, length: number) => {
            calls.readSync++;
            if (offset + length > memory.length) throw new RangeError("fake: read past the end");
            return memory.slice(offset, offset + length);
          },
        }
      : {}),
    sync: () => Promise.resolve(),
  } as unknown as Device;
  return { device, calls };
}

test("an idle queue reads a host-readable device synchronously, not through its asynchronous read", async () => {
  const memory = Uint8Array.of(1, 2, 3, 4);
  const { device, calls } = fakeDevice(memory, { sync: true });
  const previous = setDeviceDeadline({ baseMs: 1, msPerMiB: 0 });
  try {
    const bytes = await new DeviceQueue(device).read(buffer, 1, 2);
    assert.deepEqual(Array.from(bytes), [2, 3]);
    assert.deepEqual(calls, { read: 0, readSync: 1 });
  } finally {
    setDeviceDeadline(previous);
  }
});

test("a synchronous read that throws is a rejected promise, as the asynchronous read was", async () => {
  const { device } = fakeDevice(new Uint8Array(4), { sync: true });
  const reading = new DeviceQueue(device).read(buffer, 2, 8);
  await assert.rejects(reading, /fake: read past the end/);
});

test("a read after failed queued work throws that failure and reads nothing", async () => {
  const { device, calls } = fakeDevice(new Uint8Array(4), { sync: true });
  const queue = new DeviceQueue(device);
  queue.submitAsync(async () => {
    throw new Error("transfer failed");
  });
  await new Promise((r) => setTimeout(r, 0));
  assert.throws(() => queue.read(buffer, 0, 4), /transfer failed/);
  assert.deepEqual(calls, { read: 0, readSync: 0 });
});

test("a read behind outstanding work waits for it and keeps its deadline", async () => {
  const memory = new Uint8Array(4);
  const { device, calls } = fakeDevice(memory, { sync: true, read: () => Promise.resolve(memory.slice()) });
  const queue = new DeviceQueue(device);
  let release!: () => void;
  queue.submitAsync(() => new Promise<void>((r) => (release = r)));
  const previous = setDeviceDeadline({ baseMs: 50, msPerMiB: 0 });
  try {
    await assert.rejects(
      queue.read(buffer, 0, 4, { shape: [4], dtype: "uint8" }),
      (e: Error) => e instanceof DeviceTimeoutError && /read of uint8\[4\]/.test(e.message),
    );
  } finally {
    setDeviceDeadline(previous);
    release();
  }
  await queue.sync();
  assert.deepEqual(calls, { read: 1, readSync: 0 }, "the queued read goes through device.read");
});
