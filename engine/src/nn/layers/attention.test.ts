import assert from "node:assert/strict";
import { test } from "node:test";
import { manualSeed, nn, noGrad, randn, scaledDotProductAttention, setDefaultDevice, tensor } from "../../index.ts";

setDefaultDevice("cpu");

test("TransformerEncoder applies its layers in order, then the final norm", async () => {
  manualSeed(4);
  const enc = new nn.TransformerEncoder(
    () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true }),
    2,
    new nn.LayerNorm(8),
  );
  assert.equal(enc.parameters().length, 2 * 12 + 2);
  const x = randn([2, 3, 8]);
  const [a, b] = noGrad(() => [enc.call(x), enc.norm!.call(enc.layers[1]!.call(enc.layers[0]!.call(x)))]);
  assert.deepEqual(Array.from(await a!.data()), Array.from(await b!.data()));
});

test("a TransformerEncoder factory that returns one shared layer is refused", () => {
  const layer = new nn.TransformerEncoderLayer(4, 2);
  assert.throws(() => new nn.TransformerEncoder(() => layer, 2), /returned the same layer twice/);
});

test("causal attention lets the first query see only the first key", async () => {
  const q = tensor([
    [
      [1, 0],
      [0, 1],
    ],
  ]);
  const v = tensor([
    [
      [10, 0],
      [0, 10],
    ],
  ]);
  const out = (await scaledDotProductAttention(q, q, v, { isCausal: true }).array()) as number[][][];
  assert.deepEqual(out[0]![0], [10, 0]);
});

test("attention and transformer layers refuse wrong shapes, masks and settings with the shapes named", () => {
  const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
  const x = randn([2, 3, 8]);
  assert.throws(() => new nn.MultiheadAttention(6, 4), /embedDim 6 must be divisible by numHeads 4/);
  assert.throws(() => mha.call(randn([2, 3, 6])), /query must be \[N, L, E\] with E = 8, got \[2, 3, 6\]/);
  assert.throws(() => mha.attend(x, x, x, { attnMask: tensor([[true]]) }), /attnMask must be \[3, 3\] or \[4, 3, 3\], got \[1, 1\]/);
  assert.throws(() => mha.attend(x, x, x, { keyPaddingMask: tensor([[true, false, false]]) }), /keyPaddingMask must be \[2, 3\], got \[1, 3\]/);
  assert.throws(
    () => mha.attend(x, x, x, { attnMask: tensor(Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0]), { shape: [3, 3] }) }),
    /attnMask must be bool or float, got int32/,
  );
  assert.throws(
    () => scaledDotProductAttention(randn([2, 4]), randn([3, 5]), randn([3, 5])),
    /query \[2, 4\] and key \[3, 5\] must end in the same embedding dim/,
  );
  assert.throws(() => new nn.TransformerEncoderLayer(8, 2, { activation: "swish" as never }), /activation must be 'relu' or 'gelu'/);
  assert.throws(() => new nn.TransformerDecoderLayer(8, 2).call(x), /needs the encoder's memory/);
});

test("conv, norm, upsample and embedding layers refuse misuse clearly", () => {
  assert.throws(() => new nn.Conv1d(3, 4, 3, { groups: 2 }), /3 input and 4 output channels must both divide into 2 groups/);
  assert.throws(() => new nn.Conv1d(2, 2, 3).call(randn([2, 5])), /conv1d: expects input \[N, C, L\]/);
  assert.throws(
    () => new nn.ConvTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 }).call(randn([1, 2, 3, 3])),
    /outputPadding \(2, 2\) must be smaller than stride or dilation/,
  );
  assert.throws(() => new nn.BatchNorm1d(3).call(randn([2, 4])), /BatchNorm1d: expects \[N, 3\] or \[N, 3, L\], got \[2, 4\]/);
  assert.throws(() => new nn.GroupNorm(4, 6), /6 channels cannot be split into 4 groups/);
  assert.throws(() => new nn.Upsample({ mode: "bilinear", scaleFactor: 2 }).call(randn([1, 1, 4])), /mode 'bilinear' does not fit a 1-D input/);
  assert.throws(() => new nn.Upsample({ mode: "nearest" }).call(randn([1, 1, 4])), /give exactly one of size and scaleFactor/);
  assert.throws(() => new nn.Embedding(4, 2, { paddingIdx: 4 }), /paddingIdx 4 must be an integer in \[-4, 4\)/);
});
