import assert from "node:assert/strict";
import { test } from "node:test";
import { crossEntropy, memory, nn, optim, randn, tensor, tidy } from "./index.ts";

test("dispose gives memory back at once", () => {
  const before = memory("cpu")[0]?.bytes ?? 0;
  const t = randn([256, 256]);
  assert.equal(memory("cpu")[0]!.bytes, before + 256 * 256 * 4);
  t.dispose();
  assert.equal(memory("cpu")[0]!.bytes, before);
});

test("tidy disposes intermediates and keeps what it returns", async () => {
  const before = memory("cpu")[0]?.tensors ?? 0;
  const out = tidy(() => tensor([1, 2, 3]).mul(2).add(1).exp().log());
  assert.equal(memory("cpu")[0]!.tensors, before + 1);
  assert.deepEqual(Array.from(await out.data()), [3, 5, 7]);
  out.dispose();
});

test("views share memory: a reshape costs no bytes", () => {
  const t = randn([64, 64]);
  const bytes = memory("cpu")[0]!.bytes;
  const v = t.reshape(4096).transpose(0, 0);
  assert.equal(memory("cpu")[0]!.bytes, bytes);
  v.dispose();
  t.dispose();
});

test("200 training steps leave live tensors and bytes flat", async () => {
  const model = new nn.Sequential(new nn.Linear(20, 16), new nn.ReLU(), new nn.Linear(16, 4));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const x = randn([32, 20]);
  const y = tensor(
    Array.from({ length: 32 }, (_, i) => i % 4),
    { dtype: "int32" },
  );
  const step = () => {
    const loss = tidy(() => {
      const l = crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.detach();
    });
    loss.dispose();
  };
  for (let i = 0; i < 10; i++) step(); // optimiser state and gradients now exist
  const start = memory("cpu")[0]!;
  for (let i = 0; i < 200; i++) step();
  const end = memory("cpu")[0]!;
  assert.equal(end.tensors, start.tensors);
  assert.equal(end.bytes, start.bytes);
});
