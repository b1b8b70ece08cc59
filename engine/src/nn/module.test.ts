import assert from "node:assert/strict";
import { test } from "node:test";
import { nn, randn, setDefaultDevice, tensor, sum, mul, type Tensor } from "../index.ts";

setDefaultDevice("cpu");

class Holder extends nn.Module {
  constructor(readonly store: unknown) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

const names = (m: nn.Module) => m.namedParameters().map(([n]) => n);

test("modules in a plain object and in a Map are registered under their keys", () => {
  const obj = new Holder({ enc: new nn.Linear(2, 3), dec: { out: new nn.Linear(3, 1) } });
  assert.deepEqual(names(obj), ["store.enc.weight", "store.enc.bias", "store.dec.out.weight", "store.dec.out.bias"]);
  const map = new Holder(new Map([["a", new nn.Linear(2, 2, { bias: false })]]));
  assert.deepEqual(names(map), ["store.a.weight"]);
});

test("parameters held in an array are registered by index", () => {
  const m = new Holder([nn.parameter(randn([2])), nn.parameter(randn([3]))]);
  assert.deepEqual(names(m), ["store.0", "store.1"]);
});

test("a Set of modules is refused with an error naming the property", () => {
  const m = new Holder(new Set([new nn.Linear(2, 2)]));
  assert.throws(() => m.parameters(), /Holder\.store: a Set cannot hold modules/);
});

test("a non-module class instance holding a module is refused", () => {
  class Bag {
    layer = new nn.Linear(2, 2);
  }
  const m = new Holder([new Bag()]);
  assert.throws(() => m.parameters(), /Holder\.store\.0: a Bag holding modules or parameters is not a module/);
});

test("a Map keyed by objects that holds modules is refused", () => {
  const m = new Holder(new Map([[{}, new nn.Linear(2, 2)]]));
  assert.throws(() => m.parameters(), /needs string keys/);
});

test("a parameter shared by two layers is listed once", () => {
  const a = new nn.Linear(2, 2);
  const b = new nn.Linear(2, 2);
  b.weight = a.weight;
  assert.equal(new Holder([a, b]).parameters().length, 3);
});

test("ModuleList and ModuleDict name their modules by index and key", () => {
  const list = new nn.ModuleList([new nn.Linear(1, 1), new nn.ReLU(), new nn.Linear(1, 1, { bias: false })]);
  assert.deepEqual(names(list), ["0.weight", "0.bias", "2.weight"]);
  assert.equal(list.length, 3);
  const dict = new nn.ModuleDict({ enc: new nn.Linear(1, 2) });
  dict.set("dec", new nn.Linear(2, 1));
  assert.deepEqual(names(dict), ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]);
  assert.throws(() => dict.set("x", {} as nn.Module), /ModuleDict.set\('x'\): expected a Module, got Object/);
  assert.throws(() => dict.get("nope"), /no module 'nope'/);
  assert.throws(() => list.append(3 as unknown as nn.Module), /expected a Module, got number/);
});

test("modules(), namedModules() and apply() visit every module once, children first for apply", () => {
  const shared = new nn.Linear(1, 1);
  const model = new nn.Sequential(shared, new nn.Sequential(new nn.ReLU(), shared));
  assert.deepEqual(
    model.namedModules().map(([n, m]) => `${n}:${m.constructor.name}`),
    [":Sequential", "0:Linear", "1:Sequential", "1.0:ReLU"],
  );
  const order: string[] = [];
  model.apply((m) => order.push(m.constructor.name));
  assert.deepEqual(order, ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]);
});

test("train()/eval() reach modules held in containers", () => {
  const drop = new nn.Dropout(0.5);
  const m = new Holder({ d: drop });
  m.eval();
  assert.equal(drop.training, false);
});

test("half() and float() cast parameters and buffers, keeping them trainable", async () => {
  const model = new nn.Sequential(new nn.Linear(2, 2), new nn.BatchNorm2d(2));
  model.half();
  for (const [, t] of model.stateDict()) assert.equal(t.dtype, "float16");
  assert.ok(model.parameters().every((p) => p.requiresGrad && p.isParameter));
  model.float();
  assert.ok([...model.stateDict().values()].every((t) => t.dtype === "float32"));
  assert.equal(model.buffers().length, 2);
});

test("to(device) keeps the same tensor objects; an unknown device is an error", () => {
  const lin = new nn.Linear(2, 2);
  const before = lin.parameters();
  lin.to("cpu");
  assert.deepEqual(lin.parameters(), before);
  assert.throws(() => lin.to("nosuchdevice"), /nosuchdevice/);
});

test("forward pre-hooks and forward hooks can replace inputs and outputs, and can be removed", async () => {
  const lin = new nn.Identity();
  const pre = lin.registerForwardPreHook((_m, [x]) => [mul(x!, 2)]);
  const post = lin.registerForwardHook((_m, _xs, y) => mul(y, 10));
  assert.deepEqual(Array.from(await lin.call(tensor([1, 2])).data()), [20, 40]);
  pre.remove();
  post.remove();
  assert.deepEqual(Array.from(await lin.call(tensor([1, 2])).data()), [1, 2]);
});

test("a full backward hook sees grad output and grad input and can replace the input gradient", async () => {
  const lin = new nn.Linear(2, 1, { bias: false });
  lin.weight.assign(tensor([[3, -1]]));
  const seen: number[][] = [];
  lin.registerFullBackwardHook((_m, [gin], gout) => {
    seen.push(gout.dataSync() as unknown as number[], gin!.dataSync() as unknown as number[]);
    return [mul(gin!, 0.5)];
  });
  const x = tensor([[1, 1]], { requiresGrad: true });
  sum(mul(lin.call(x), 2)).backward();
  assert.deepEqual(
    seen.map((a) => Array.from(a)),
    [[2], [6, -2]],
  );
  assert.deepEqual(Array.from(await x.grad!.data()), [3, -1]);
  assert.deepEqual(Array.from(await lin.weight.grad!.data()), [2, 2]);
});

test("hooks fire for layers inside a Sequential", () => {
  let calls = 0;
  const relu = new nn.ReLU();
  relu.registerForwardHook(() => void calls++);
  new nn.Sequential(new nn.Identity(), relu).call(tensor([1]));
  assert.equal(calls, 1);
});
