import { test } from "node:test";
import assert from "node:assert/strict";
import { RunBuffer } from "./run-buffer.ts";
import type { RunBatch } from "./protocol.ts";

test("close() resolves only after the page has taken the last batch, model included", async () => {
  const received: RunBatch[] = [];
  let release!: () => void;
  const pageBusy = new Promise<void>((resolve) => (release = resolve));
  const buffer = new RunBuffer(
    {
      batch: async (b) => {
        await pageBusy;
        received.push(b);
      },
    },
    0,
    () => ({ memory: [] }),
  );
  buffer.push("console", { level: "log", text: "test accuracy: 81.0%", time: 1 });
  buffer.set({ model: { name: "cnn", parameters: 0, tensors: [] } });
  let closed = false;
  const closing = buffer.close().then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(closed, false, "close() waited for the page");
  release();
  await closing;
  const all = received.flatMap((b) => b.console.map((c) => c.text));
  assert.deepEqual(all, ["test accuracy: 81.0%"]);
  assert.equal(
    received.some((b) => b.model?.name === "cnn"),
    true,
  );
});

test("a page that rejects a batch does not keep close() from resolving", async () => {
  const buffer = new RunBuffer({ batch: () => Promise.reject(new Error("page gone")) }, 0, () => ({ memory: [] }));
  buffer.push("metrics", { step: 1, values: { loss: 1 }, time: 1 });
  await buffer.close();
});
