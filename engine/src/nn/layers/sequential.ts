import { alias } from "../../ops/basic.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";

/** Runs its layers in order; parameters are named by position ("0.weight"). */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  override namedChildren(): [string, Module][] {
    return this.layers.map((m, i) => [String(i), m]);
  }

  forward(x: Tensor): Tensor {
    if (this.layers.length === 0) return alias(x);
    let out = x;
    for (const layer of this.layers) out = layer.call(out);
    return out;
  }
}
