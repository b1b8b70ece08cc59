import assert from "node:assert/strict";
import { test } from "node:test";
import { nn, randn, setDefaultDevice } from "../../index.ts";

setDefaultDevice("cpu");

const layer = () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true });

test("TransformerDecoder stacks fresh layers from a factory, names them like torch and decodes", () => {
  const decoder = new nn.TransformerDecoder(layer, 2, new nn.LayerNorm(8));
  const names = decoder.namedParameters().map(([n]) => n);
  assert.ok(names.includes("layers.1.multiheadAttn.inProjWeight") && names.includes("norm.weight"), names.join(","));
  assert.deepEqual(decoder.call(randn([2, 3, 8]), randn([2, 5, 8])).shape, [2, 3, 8]);
});

test("TransformerDecoder gives the encoder's clear errors for a layer instead of a factory, or a shared layer", () => {
  assert.throws(() => new nn.TransformerDecoder(layer() as never, 2), /TransformerDecoder: pass a function that builds one layer/);
  const shared = layer();
  assert.throws(() => new nn.TransformerDecoder(() => shared, 2), /TransformerDecoder: the factory returned the same layer twice/);
  assert.throws(() => new nn.TransformerDecoder(layer, 0), /TransformerDecoder: numLayers must be a positive integer, got 0/);
  assert.throws(() => new nn.TransformerDecoder(() => new nn.Linear(2, 2) as never, 1), /must return TransformerDecoderLayer instances/);
  assert.throws(() => new nn.TransformerDecoder(layer, 1).forward(randn([1, 2, 8]), undefined as never), /needs the encoder's memory/);
});

test("CosineSimilarity, PairwiseDistance and Unflatten modules pass their settings", async () => {
  const [a, b] = [randn([3, 4]), randn([3, 4])];
  assert.deepEqual(new nn.CosineSimilarity(1).call(a, b).shape, [3]);
  assert.deepEqual(new nn.PairwiseDistance(1, 1e-6, true).call(a, b).shape, [3, 1]);
  assert.deepEqual(new nn.Unflatten(1, [2, 2]).call(a).shape, [3, 2, 2]);
  const self = Array.from(await new nn.CosineSimilarity(1).call(a, a).data());
  self.forEach((v) => assert.ok(Math.abs(v - 1) < 1e-6));
});
