import type { DType } from "@polychip/hal";
import type { Graph } from "../graph/ir.ts";
import { isRawView, type RuntimeInput } from "./inputs.ts";
import type { RunPlan } from "./run-plan.ts";

/**
 * The host inputs of a planned run (dtype and shape of each) and the plan they selected. A run
 * whose inputs are the same names with the same dtypes, shapes and value counts would pass the
 * same checks (checkInputs) and build the same signature, so it goes straight to the plan: a
 * small model's run repeated on new values costs no string building or map lookup per run.
 * Device-view inputs never match (their layout and storage are part of a signature).
 */
export class RepeatedRun {
  private readonly dtypes: DType[] = [];
  private readonly shapes: (readonly number[])[] = [];
  private readonly sizes: number[] = [];

  private constructor(
    readonly plan: RunPlan,
    readonly hostOutputs: boolean,
  ) {}

  /** The snapshot of `inputs` (already checked) for `plan`, or undefined when one of them is a device view. */
  static of(graph: Graph, inputs: Readonly<Record<string, RuntimeInput>>, plan: RunPlan, hostOutputs: boolean): RepeatedRun | undefined {
    const run = new RepeatedRun(plan, hostOutputs);
    for (const info of graph.inputs) {
      const given = inputs[info.name]!;
      if (isRawView(given)) return undefined;
      run.dtypes.push(given.dtype ?? info.dtype);
      run.shapes.push([...given.shape]);
      run.sizes.push(given.data.length);
    }
    return run;
  }

  /** Whether `inputs` are exactly the graph's inputs, as host values of the dtypes, shapes and sizes seen before. */
  matches(graph: Graph, inputs: Readonly<Record<string, RuntimeInput>>, hostOutputs: boolean): boolean {
    if (hostOutputs !== this.hostOutputs) return false;
    const infos = graph.inputs;
    let names = 0;
    for (const _ in inputs) names++;
    if (names !== infos.length) return false; // an unknown name: checkInputs names it
    for (let k = 0; k < infos.length; k++) {
      const info = infos[k]!;
      const given = inputs[info.name];
      if (given === undefined || given === null || isRawView(given)) return false;
      if ((given.dtype ?? info.dtype) !== this.dtypes[k]) return false;
      const shape = given.shape;
      const want = this.shapes[k]!;
      if (!Array.isArray(shape) || shape.length !== want.length) return false;
      for (let d = 0; d < want.length; d++) if (shape[d] !== want[d]) return false;
      const data = given.data;
      if (!data || data.length !== this.sizes[k]) return false;
    }
    return true;
  }
}
