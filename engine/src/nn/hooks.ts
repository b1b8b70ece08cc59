import { PolychipError, type AttrValue } from "@polychip/hal";
import { applyComposite } from "../ops/apply.ts";
import { isGradEnabled } from "../tape/grad-mode.ts";
import { alias } from "../ops/basic.ts";
import { keep } from "../scope.ts";
import { Tensor } from "../tensor.ts";

export type ForwardPreHook<M> = (module: M, inputs: Tensor[]) => Tensor[] | void;
export type ForwardHook<M> = (module: M, inputs: Tensor[], output: Tensor) => Tensor | void;
export type BackwardHook<M> = (module: M, gradInputs: (Tensor | null)[], gradOutput: Tensor) => (Tensor | null)[] | void;

export interface HookHandle {
  remove(): void;
}

type Kind = "pre" | "forward" | "backward";

/** A module's hooks by kind, in registration order. */
export class HookSet<M> {
  readonly pre: ForwardPreHook<M>[] = [];
  readonly forward: ForwardHook<M>[] = [];
  readonly backward: BackwardHook<M>[] = [];

  get empty(): boolean {
    return !this.pre.length && !this.forward.length && !this.backward.length;
  }

  add(kind: Kind, fn: ForwardPreHook<M> | ForwardHook<M> | BackwardHook<M>): HookHandle {
    if (typeof fn !== "function") throw new PolychipError(`register hook: expected a function, got ${typeof fn}`);
    const list = this[kind] as unknown[];
    list.push(fn);
    return { remove: () => void (list.includes(fn) && list.splice(list.indexOf(fn), 1)) };
  }
}

/**
 * forward with hooks. Full backward hooks wrap the inputs and the output in identity nodes: the
 * output's node sees the gradient w.r.t. the output, the inputs' nodes the gradients w.r.t. the
 * inputs; the hook fires once the last of those has arrived.
 */
export function runWithHooks<M>(module: M, hooks: HookSet<M>, inputs: Tensor[], forward: (xs: Tensor[]) => Tensor): Tensor {
  let xs = inputs;
  for (const h of hooks.pre) {
    const replaced = h(module, xs);
    if (replaced) xs = checkTensors("forward pre-hook", replaced);
  }
  const tracking = hooks.backward.length > 0 && isGradEnabled() && xs.some((x) => x.requiresGrad);
  const capture = tracking ? new BackwardCapture(module, hooks, xs) : undefined;
  if (capture) xs = capture.wrapInputs(xs);
  let out = forward(xs);
  for (const h of hooks.forward) {
    const replaced = h(module, xs, out);
    if (replaced) out = checkTensors("forward hook", [replaced])[0]!;
  }
  return capture ? capture.wrapOutput(out) : out;
}

function checkTensors(what: string, values: unknown): Tensor[] {
  if (!Array.isArray(values) || !values.every((v) => v instanceof Tensor)) {
    throw new PolychipError(`${what}: must return tensors (an array for a pre-hook) or nothing, got ${String(values)}`);
  }
  return values as Tensor[];
}

/** An alias of `x` whose backward calls `onGradient` (the "backwardHook" rule of the gradient table). */
function passThrough(x: Tensor, onGradient: (g: Tensor) => readonly (Tensor | undefined)[]): Tensor {
  return applyComposite("backwardHook", [x], { onGradient: onGradient as unknown as AttrValue }, () => alias(x));
}

class BackwardCapture<M> {
  private gradOutput: Tensor | undefined;
  private readonly gradInputs: (Tensor | null)[];
  private pending: number;

  constructor(
    private readonly module: M,
    private readonly hooks: HookSet<M>,
    inputs: Tensor[],
  ) {
    this.gradInputs = inputs.map(() => null);
    this.pending = inputs.filter((x) => x.requiresGrad).length;
  }

  wrapInputs(xs: Tensor[]): Tensor[] {
    return xs.map((x, i) => {
      if (!x.requiresGrad) return x;
      return passThrough(x, (g) => {
        // backward() disposes each node's incoming gradient after the node: keep a handle until the hook ran.
        this.gradInputs[i] = keep(alias(g));
        if (--this.pending > 0) return [g];
        const result = this.fire();
        const own = this.gradInputs[i];
        const earlier = result.findIndex((r, j) => j !== i && r !== this.gradInputs[j]);
        this.release();
        if (earlier >= 0)
          throw new PolychipError(
            `full backward hook: input ${earlier}'s gradient was already passed on; only input ${i}'s (the last to arrive) can be replaced`,
          );
        return [result[i] === own ? g : (result[i] ?? undefined)];
      });
    });
  }

  wrapOutput(out: Tensor): Tensor {
    return passThrough(out, (g) => {
      this.gradOutput = keep(alias(g));
      return [g];
    });
  }

  private release(): void {
    for (const g of [...this.gradInputs, this.gradOutput]) g?.dispose();
  }

  /** Runs the hooks; the last returned replacement wins. Only the last input's gradient can still be replaced here. */
  private fire(): (Tensor | null)[] {
    let grads = this.gradInputs;
    for (const h of this.hooks.backward) {
      const replaced = h(this.module, grads, this.gradOutput!);
      if (replaced) {
        if (!Array.isArray(replaced) || replaced.length !== grads.length) {
          throw new PolychipError(`full backward hook: must return one gradient (or null) per input (${grads.length}), got ${String(replaced)}`);
        }
        grads = replaced;
      }
    }
    return grads;
  }
}
