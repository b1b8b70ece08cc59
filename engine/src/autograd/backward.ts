import { describeTensors, formatShape, PolychipError, ShapeError } from "@polychip/hal";
import { keep, tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { noGrad } from "../tape/grad-mode.ts";
import { installBackward, tensorVersion } from "../tape/node.ts";
import { gradientRule } from "./gradients.ts";
import { add, alias } from "../ops/basic.ts";
import { onesLike } from "../ops/creation.ts";
import { sumToShape } from "../ops/broadcast-grad.ts";
import { withoutAutocast } from "../ops/autocast.ts";

/** Reverse-mode differentiation from `root`, accumulating into `.grad` of every leaf that requires it. */
export function backward(root: Tensor, grad?: Tensor, options: { retainGraph?: boolean } = {}): void {
  if (!root.requiresGrad)
    throw new PolychipError(`backward: tensor ${root.dtype}${formatShape(root.shape)} does not require grad (no input of it has requiresGrad)`);
  if (root.graphReleased) {
    throw new PolychipError(
      `backward: the graph of tensor ${root.dtype}${formatShape(root.shape)} was already used by an earlier backward() and freed; pass { retainGraph: true } to the first call to run backward twice`,
    );
  }
  if (!grad && root.size !== 1) {
    throw new ShapeError(
      `backward: a gradient must be given for a non-scalar output (shape ${formatShape(root.shape)}); pass one of the same shape or reduce to a scalar first`,
    );
  }
  if (grad && formatShape(grad.shape) !== formatShape(root.shape)) {
    throw new ShapeError(`backward: gradient shape ${formatShape(grad.shape)} does not match output shape ${formatShape(root.shape)}`);
  }
  const order = topologicalOrder(root);
  // Gradient rules run in the dtypes the forward ops ran in: torch never autocasts backward.
  withoutAutocast(() =>
    noGrad(() => {
      const grads = new Map<Tensor, Tensor>();
      grads.set(root, grad ?? onesLike(root));
      for (const t of order) {
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        const node = t.gradFn;
        if (!node) {
          if (t.graphReleased)
            throw new PolychipError(
              `backward: tensor ${t.dtype}${formatShape(t.shape)} is part of a graph an earlier backward() already freed; pass { retainGraph: true } to that call`,
            );
          accumulateLeaf(t, g);
          continue;
        }
        node.inputs.forEach((input, i) => {
          if (tensorVersion(input) !== node.inputVersions[i]) {
            throw new PolychipError(
              `backward: input ${i} of '${node.op}' (${describeTensors([node.inputMetas[i]!])}) was changed in place after the op read it ` +
                `(version ${node.inputVersions[i]} -> ${tensorVersion(input)}); its gradient would use the new values. Change a copy (clone()) instead`,
            );
          }
        });
        const rule = gradientRule(node);
        const context = { inputs: node.inputs, metas: node.inputMetas, output: node.output, attrs: node.attrs };
        const computed = tidy(() => rule(g, context).map((gi, i) => (gi ? sumToShape(gi, node.inputMetas[i]!.shape) : undefined)));
        // A backward may hand the same tensor (or g itself) to several inputs: give each its own reference.
        const seen = new Set<Tensor>([g]);
        const inputGrads = computed.map((gi) => {
          if (!gi) return gi;
          const own = seen.has(gi) ? alias(gi) : gi;
          seen.add(gi);
          return own;
        });
        if (g !== grad) g.dispose();
        node.inputs.forEach((input, i) => {
          const gi = inputGrads[i];
          if (!gi) return;
          if (!input.requiresGrad) {
            gi.dispose();
            return;
          }
          const prev = grads.get(input);
          if (prev) {
            grads.set(input, add(prev, gi));
            prev.dispose();
            gi.dispose();
          } else grads.set(input, gi);
        });
        if (!options.retainGraph) {
          t.gradFn = null;
          t.graphReleased = true;
        }
      }
    }),
  );
}

function accumulateLeaf(t: Tensor, g: Tensor): void {
  const gg = g.dtype === t.dtype ? g : g.cast(t.dtype);
  if (t.grad) {
    const sum = add(t.grad, gg);
    t.grad.dispose();
    t.grad = keep(sum);
    if (gg !== g) gg.dispose();
  } else {
    t.grad = keep(gg === g ? g : gg);
  }
}

/** Tensors reachable from `root` through recorded operations, outputs before inputs. */
function topologicalOrder(root: Tensor): Tensor[] {
  const visited = new Set<Tensor>();
  const post: Tensor[] = [];
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    if (i === 0) {
      if (visited.has(t)) {
        stack.pop();
        continue;
      }
      visited.add(t);
    }
    const inputs = t.gradFn?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i]!;
      if (next.requiresGrad && !visited.has(next)) stack.push([next, 0]);
    } else {
      stack.pop();
      post.push(t);
    }
  }
  return post.reverse();
}

installBackward(backward);
