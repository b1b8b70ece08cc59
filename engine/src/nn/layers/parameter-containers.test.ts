import assert from "node:assert/strict";
import { test } from "node:test";
import { nn, optim, randn, setDefaultDevice, sum, tensor, zeros } from "../../index.ts";

setDefaultDevice("cpu");

test("nn.Parameter works called or constructed, returns the same tensor, and answers instanceof", () => {
  const t = zeros([2]);
  const p = nn.Parameter(t);
  assert.equal(p, t);
  assert.ok(p.isParameter && p.requiresGrad);
  const q = new nn.Parameter(zeros([3]));
  assert.ok(q instanceof nn.Parameter);
  assert.ok(!(zeros([1]) instanceof nn.Parameter));
  assert.ok(!({} instanceof nn.Parameter));
  const frozen = nn.Parameter(zeros([1]), false);
  assert.ok(frozen.isParameter && !frozen.requiresGrad);
  assert.throws(() => nn.Parameter([1, 2] as never), /nn.Parameter: expected a Tensor, got object/);
});

test("a module written torch-style with nn.Parameter registers and trains it", async () => {
  class Scale extends nn.Module {
    gain = new nn.Parameter(tensor([2]));
    forward(x: ReturnType<typeof randn>) {
      return x.mul(this.gain);
    }
  }
  const m = new Scale();
  assert.deepEqual(
    m.namedParameters().map(([n]) => n),
    ["gain"],
  );
  const opt = new optim.SGD(m.parameters(), { lr: 0.5 });
  sum(m.call(tensor([1, 1]))).backward();
  opt.step();
  assert.deepEqual(Array.from(await m.gain.data()), [1]);
});

test("ParameterList names its parameters by index and iterates them", () => {
  const list = new nn.ParameterList([zeros([2]), zeros([3])]).append(zeros([4]));
  assert.deepEqual(
    list.namedParameters().map(([n, p]) => [n, p.shape]),
    [
      ["0", [2]],
      ["1", [3]],
      ["2", [4]],
    ],
  );
  assert.equal(list.length, 3);
  assert.deepEqual(list.at(-1).shape, [4]);
  assert.deepEqual(
    [...list].map((p) => p.isParameter),
    [true, true, true],
  );
  assert.throws(() => list.at(3), /ParameterList: index 3 is out of range for 3 parameters/);
  class Holder extends nn.Module {
    weights = new nn.ParameterList([zeros([1])]);
    forward(x: ReturnType<typeof zeros>) {
      return x;
    }
  }
  assert.deepEqual([...new Holder().stateDict().keys()], ["weights.0"]);
});

test("ParameterDict names its parameters by key and refuses keys that clash with the module", () => {
  const dict = new nn.ParameterDict({ scale: zeros([2]) }).set("shift", zeros([2]));
  assert.deepEqual(
    dict.namedParameters().map(([n]) => n),
    ["scale", "shift"],
  );
  assert.deepEqual(dict.keys(), ["scale", "shift"]);
  assert.equal(dict.size, 2);
  assert.ok(dict.get("shift").isParameter);
  assert.throws(
    () => dict.set("training", zeros([1])),
    /ParameterDict.set: key "training" must be a non-empty string without '.' that is not a Module field or method/,
  );
  assert.throws(() => dict.set("a.b", zeros([1])), /ParameterDict.set: key "a.b"/);
  assert.throws(() => dict.get("bias"), /ParameterDict: no parameter 'bias' \(keys: scale, shift\)/);
  assert.throws(() => dict.forward(), /ParameterDict has no forward/);
});
