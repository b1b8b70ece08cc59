import { UnsupportedOpError } from "@polychip/hal";
import { ImportContext, type FedMeta, type ImportOptions, type OnnxNode } from "./context.ts";
import { hostResultNames, isStringValue, lowerThroughHost, type HostValue } from "./host-step.ts";
import type { OpImporter } from "./ops/helpers.ts";

/**
 * STRING values only a run knows (a STRING graph input under OnnxSession, ImportOptions.stringShapes,
 * and what string ops compute from it). Every string op computes on the host, so a node reading
 * such a value runs as a host step (host-step.ts) per run: its own importer, in a context of its
 * own where its inputs are the run's values, gives its results. STRING results stay on the host
 * for the host steps after them; numeric ones (a LabelEncoder's ids, an Equal's booleans, a
 * TfIdfVectorizer's counts) are inputs of the plan, which depends on their shapes only. So one
 * plan serves every string value of the same shapes.
 */

/** Refused where a string op reads a STRING value only a run knows but cannot run per run (a value a Loop body computes); OnnxSession then plans per string value. */
export class StringsNeededAtImport extends UnsupportedOpError {}

/**
 * Whether `node` reads a STRING value only a run knows, as a host op: control flow (a Loop
 * carrying strings) is lowered as such, its body's string ops each becoming host steps.
 */
export function readsDeferredStrings(ctx: ImportContext, node: OnnxNode): boolean {
  return !node.attrs.hasGraph() && node.inputs.some((name) => ctx.deferredString(name) !== undefined);
}

/** Lowers a string op that reads STRING values only a run knows as a host step running `importer` per run. */
export function lowerStringsOnHost(ctx: ImportContext, node: OnnxNode, importer: OpImporter): void {
  const reads = node.inputs.map((name) => ctx.deferredString(name)?.source ?? name);
  const unknown = reads.filter((name, i) => name && ctx.deferredString(node.inputs[i]) !== undefined);
  // A host step in a Loop body runs once for every iteration: only values the same in each (top-level ones) may be read.
  if (!ctx.runsHostStepOn(unknown) || (ctx.loopBodies > 0 && unknown.some((name) => ctx.computedPerIteration(name))))
    throw new StringsNeededAtImport(
      `${ctx.where()}: reads the STRING value ${unknown.map((n) => `'${n}'`).join(", ")}, which only a run knows, where no host step can run per run (inside a Loop or Scan body)`,
    );
  const outputs = node.outputs.filter((o) => o);
  if (outputs.length === 0) return;
  lowerThroughHost(ctx, node, {
    reads,
    why: `${node.opType} (computed on the host from STRING values)`,
    results: outputs.length,
    compute: hostPart(node, importer, ctx.where()),
    lower: (results) => outputs.forEach((out, k) => ctx.bind(out, results[k]!)),
  });
}

/** The host part (a function of its own: a closure in the importer would keep the whole import alive while a session caches the step). */
function hostPart(node: OnnxNode, importer: OpImporter, where: string) {
  return (values: readonly (HostValue | undefined)[]): HostValue[] => {
    const scratch = new ImportContext({});
    scratch.current = node;
    node.inputs.forEach((name, i) => {
      const v = values[i];
      if (!name || !v || scratch.has(name)) return;
      if (isStringValue(v)) scratch.declareString(name, v);
      else scratch.declareConstant(name, v);
    });
    importer(scratch, node);
    return node.outputs
      .filter((o) => o)
      .map((out) => {
        const value: HostValue | undefined = scratch.knownString(out) ?? scratch.constant(out);
        // Not a host op after all (a sequence of strings): the session then plans per string value, with the strings known at import.
        if (!value) throw new StringsNeededAtImport(`${where}: its output '${out}' is not computed on the host from its STRING inputs`);
        return value;
      });
  };
}

/**
 * The STRING outputs of a node an earlier stage lowered (ImportOptions.done): they are the host
 * step results fed under the node's result names (hostResultNames), as STRING values only a run knows.
 */
export function declareStagedStrings(ctx: ImportContext, outputs: readonly string[], options: ImportOptions): void {
  const present = outputs.filter((o) => o);
  if (present.length === 0) return;
  const names = hostResultNames({ name: "", outputs: present }, present.length);
  present.forEach((out, k) => {
    const fed: FedMeta | undefined = options.fed?.[names[k]!];
    if (!ctx.has(out) && fed?.dtype === "string") ctx.declareDeferredString(out, names[k]!, fed.shape);
  });
}
