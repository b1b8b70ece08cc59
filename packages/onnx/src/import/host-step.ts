import { UnsupportedOpError } from "@polychip/hal";
import { formatDims, sizeOfDims } from "../host/meta.ts";
import type { StringTensor } from "../strings.ts";
import type { HostTensor } from "../tensor.ts";
import type { ImportContext, OnnxNode } from "./context.ts";

/**
 * An op whose result size depends on the values of some of its inputs (NonZero, NonMaxSuppression,
 * Compress's condition, Unique, RoiAlign's boxes) splits into a host part, which reads those values
 * and computes small tensors (the indices, the selection, the sample taps), and a device part that
 * reads the host part's results as ordinary values.
 *
 * When the read values are known at import, the host part runs then and its results are constants.
 * Under OnnxSession (ImportOptions.computesRunTimeValues) a top-level node whose values only a run
 * knows raises HostStepNeeded instead: the session computes the values with the model before the
 * node, runs the host part on them, and imports the rest with the results as inputs
 * (ImportOptions.fed), so that plan depends on the results' shapes (the count), not on their values.
 * Inside an inlined If branch the same holds (its results named by the node's path, as names in a
 * subgraph are numbered by what the import lowered before); the session computes a value the
 * branch computes with a prefix up to it. Inside a Loop or Scan body it holds when every value the
 * host part reads is a top-level value, the same in every iteration (ImportContext.runsHostStepOn);
 * a value the body computes differs per iteration, so it is asked for with requireConstant, as any
 * value needed at import (frozen into the plan, at most MAX_FROZEN_VALUE values).
 */
/** What a host part reads and returns: tensors, or STRING values (which stay on the host). */
export type HostValue = HostTensor | StringTensor;

export function isStringValue(v: HostValue | undefined): v is StringTensor {
  return v?.dtype === "string";
}

export interface HostStep {
  /** The input names the host part reads ("" for an absent optional input). */
  readonly reads: readonly string[];
  /** What the values are needed for, for messages. */
  readonly why: string;
  /** How many tensors the host part returns. */
  readonly results: number;
  /**
   * The host part: the values of `reads` (undefined where absent) → its results. A method, so a
   * numeric op's step may take HostTensor values: only the string ops' steps read STRING values.
   */
  compute(values: readonly (HostValue | undefined)[]): HostValue[];
  /** The device part: lowers the node reading the host part's results (value names). */
  readonly lower: (results: readonly string[]) => void;
}

/** What OnnxSession needs to run one pending host part: the values to read, those known at import, the names its results take. */
export interface PendingHostStep {
  readonly node: string;
  readonly reads: readonly string[];
  /** The reads the import knew (initializers, folded values), by name. */
  readonly constants: Readonly<Record<string, HostValue>>;
  /** The names the results are fed back under, in order. */
  readonly results: readonly string[];
  compute(values: readonly (HostValue | undefined)[]): HostValue[];
}

/** A host part must run per run before this node can be lowered (see HostStep); OnnxSession catches it. */
export class HostStepNeeded extends UnsupportedOpError {
  constructor(
    message: string,
    readonly step: PendingHostStep,
  ) {
    super(message);
  }
}

/**
 * The names a node's host results are fed back under, the same in every import of the model:
 * from a top-level node's first output, or inside a subgraph from the node's path and its first
 * output's ONNX name (there outputs take numbered names, `where::7`, that depend on what the
 * import lowered before; the number is dropped).
 */
export function hostResultNames(node: Pick<OnnxNode, "name" | "outputs">, count: number, inSubgraph = false): string[] {
  const output = node.outputs.find((o) => o);
  const base = !output ? node.name : inSubgraph ? `${node.name}/${output.replace(/::\d+$/, "")}` : output;
  return Array.from({ length: count }, (_, i) => `${base}::host${i}`);
}

/** Lowers `node` through its host step: at import when the values are known, else per run (OnnxSession) or by freezing them. */
export function lowerThroughHost(ctx: ImportContext, node: OnnxNode, step: HostStep): void {
  const values: (HostValue | undefined)[] = step.reads.map((name) => (name ? (ctx.constant(name) ?? ctx.knownString(name)) : undefined));
  const missing = step.reads.filter((name, i) => name && !values[i]);
  if (missing.length > 0 && ctx.runsHostStepOn(missing)) {
    const names = hostResultNames(node, step.results, !ctx.runsHostSteps);
    const fed = names.map((name) => ctx.fedMeta(name));
    if (fed.every((m) => m !== undefined)) {
      names.forEach((name, i) => {
        const { dtype, shape } = fed[i]!;
        // STRING results stay on the host: the ops reading them run as host steps too (string-host-steps.ts).
        if (!ctx.has(name)) dtype === "string" ? ctx.declareDeferredString(name, name, shape) : ctx.declareInput(name, { dtype, shape: [...shape] }, true);
        // A later iteration of a Loop body reads the results the first one declared (its reads are the same top-level values);
        // elsewhere a second node of the same path (both branches of one If inlined) would read another node's results.
        else if (ctx.loopBodies === 0)
          throw new UnsupportedOpError(`${ctx.where()}: another host step of this import already feeds '${name}'; give the subgraph nodes distinct names`);
      });
      step.lower(names);
      return;
    }
    const constants: Record<string, HostValue> = {};
    step.reads.forEach((name, i) => values[i] && (constants[name] = values[i]!));
    throw new HostStepNeeded(
      `${ctx.where()}: ${step.why} needs the values of ${missing.map((n) => `'${n}'`).join(", ")}, which only a run computes (OnnxSession runs this step per run)`,
      { node: node.name, reads: step.reads, constants, results: names, compute: step.compute },
    );
  }
  if (missing.length > 0 && ctx.computesRunTimeValues) refuseLargeFrozenReads(ctx, step, missing);
  const known = step.reads.map((name, i) => values[i] ?? (name ? ctx.requireConstant(name, step.why) : undefined));
  step.lower(step.compute(known).map((t) => (isStringValue(t) ? knownStringValue(ctx, t) : ctx.const(t.data, t.shape, t.dtype))));
}

/** A STRING result computed at import, under a fresh name. */
function knownStringValue(ctx: ImportContext, t: StringTensor): string {
  const name = ctx.fresh("strings");
  ctx.declareString(name, t);
  return name;
}

/**
 * The most values OnnxSession freezes into a plan per run (an If's condition, a Range's limit, a
 * value a Loop body computes that a host step there reads): plans are kept by these values, so only
 * small ones are computed per run. Other host steps read any size: their results are inputs of the
 * plan, which depends on their shapes only.
 */
export const MAX_FROZEN_VALUE = 4096;

/** A step in a Loop or Scan body that reads a value the body computes, too large to freeze: refused before any run computes it, saying why. */
function refuseLargeFrozenReads(ctx: ImportContext, step: HostStep, missing: readonly string[]): void {
  for (const name of missing) {
    const size = sizeOfDims(ctx.dims(name));
    if (size === undefined || size <= MAX_FROZEN_VALUE) continue;
    throw new UnsupportedOpError(
      `${ctx.where()}: ${step.why} reads '${name}' (${ctx.dtype(name)}${formatDims(ctx.dims(name))}), which the enclosing Loop or Scan body computes: ` +
        `it differs per iteration, so it is frozen into the plan per run, at most ${MAX_FROZEN_VALUE} values ` +
        `(a value computed before the loop has no such limit: the step then runs per run)`,
    );
  }
}
