/** Golden cases that run a module: the case's tensors become the module's parameters. */
import { nn as nnLayers, type Tensor } from "../index.ts";

export type Attrs = Record<string, any>;
export type OpFn = (inputs: Tensor[], attrs: Attrs) => Tensor | Tensor[];

/** Puts the case's tensors in place of a fresh module's parameters (dotted names), freeing the ones it made. */
function withParams<M extends object>(module: M, names: string[], tensors: Tensor[]): M {
  names.forEach((name, i) => {
    const path = name.split(".");
    const owner = path.slice(0, -1).reduce((o: any, k) => o[k], module);
    const key = path[path.length - 1]!;
    (owner[key] as Tensor | undefined)?.dispose();
    owner[key] = tensors[i];
  });
  return module;
}

/** The module golden cases: the first `extra` inputs are data, the rest the module's parameters. */
export function moduleCase<M extends object>(extra: number, make: (a: Attrs) => M, run: (m: M, xs: Tensor[], a: Attrs) => Tensor | Tensor[]): OpFn {
  return (xs, a) => {
    const m = withParams(make(a), a.params, xs.slice(extra));
    if (m instanceof nnLayers.Module) m.to(xs[0]!.device); // buffers (running statistics) join the case's device
    const out = run(m, xs.slice(0, extra), a);
    if (m instanceof nnLayers.Module) m.buffers().forEach((b) => b.dispose()); // running statistics are not outputs here
    return out;
  };
}
