import { PolychipError } from "@polychip/hal";
import { padTrailing, type PadMode } from "../../ops/padding.ts";
import { pixelShuffle, pixelUnshuffle, unflatten } from "../../ops/shape-extra.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";

/** torch.nn's reshaping and padding modules. */

export class Unflatten extends Module {
  constructor(
    readonly dim: number,
    readonly sizes: readonly number[],
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return unflatten(x, this.dim, this.sizes);
  }
}

export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }
}

export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }
}

type Padding2d = number | readonly [number, number, number, number];

/** Pads the last two dims by (left, right, top, bottom), or the same amount on every side. */
abstract class Pad2d extends Module {
  readonly padding: [number, number, number, number];
  constructor(
    name: string,
    padding: Padding2d,
    readonly mode: PadMode,
    readonly value = 0,
  ) {
    super();
    const p = typeof padding === "number" ? [padding, padding, padding, padding] : [...padding];
    if (p.length !== 4 || p.some((v) => !Number.isInteger(v)))
      throw new PolychipError(`${name}: padding must be an integer or [left, right, top, bottom], got ${JSON.stringify(padding)}`);
    this.padding = p as [number, number, number, number];
  }
  forward(x: Tensor): Tensor {
    return padTrailing(x, this.padding, this.mode, this.value);
  }
}

export class ZeroPad2d extends Pad2d {
  constructor(padding: Padding2d) {
    super("ZeroPad2d", padding, "constant", 0);
  }
}

export class ConstantPad2d extends Pad2d {
  constructor(padding: Padding2d, value: number) {
    super("ConstantPad2d", padding, "constant", value);
  }
}

export class ReflectionPad2d extends Pad2d {
  constructor(padding: Padding2d) {
    super("ReflectionPad2d", padding, "reflect");
  }
}

export class ReplicationPad2d extends Pad2d {
  constructor(padding: Padding2d) {
    super("ReplicationPad2d", padding, "replicate");
  }
}
