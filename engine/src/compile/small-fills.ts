import { sizeOf, type Attrs, type DType } from "@polychip/hal";
import { fromHost } from "../core/dispatch.ts";
import type { Storage } from "../core/storage.ts";
import type { Plan } from "./plan.ts";
import type { StepProgram } from "./program.ts";

/** Fills up to this many elements (a learning rate, Adam's bias correction, a relu's 0) are written from the host: no kernel launch. */
const SMALL_FILL = 64;

export function isSmallFill(op: string, attrs: Attrs): boolean {
  return op === "fill" && sizeOf(attrs.shape as number[]) <= SMALL_FILL;
}

const shareableByPlan = new WeakMap<Plan, ReadonlySet<number>>();

/** Values that may share a buffer with an equal fill: no tensor holds them afterwards and nothing writes into them. */
function shareable(plan: Plan, program: StepProgram): ReadonlySet<number> {
  let known = shareableByPlan.get(plan);
  if (!known) {
    const excluded = new Set([...plan.outputs, ...program.nodes.flatMap((n) => (n.write ? [n.write.value] : []))]);
    known = new Set(program.nodes.flatMap((n) => (n.op === "fill" ? n.outputs.filter((v) => !excluded.has(v)) : [])));
    shareableByPlan.set(plan, known);
  }
  return known;
}

/**
 * One run's small fills. A training step records dozens of them, mostly the same few scalars (each
 * parameter's learning rate, each relu mask's 0): equal fills share one uploaded buffer. A shared
 * buffer is never exclusive, so no step writes over it in place; a value a tensor keeps, or that a
 * copy writes into, gets its own.
 */
export class SmallFills {
  private readonly uploaded = new Map<string, Storage>();
  private readonly shared: ReadonlySet<number>;

  constructor(plan: Plan, program: StepProgram) {
    this.shared = shareable(plan, program);
  }

  /** The buffer holding fill `id`'s value, with one reference for the caller. */
  storageFor(id: number, attrs: Attrs, device: string): Storage {
    const shape = attrs.shape as number[];
    const dtype = (attrs.dtype as DType | undefined) ?? "float32";
    const upload = () => fromHost(new Array<number>(sizeOf(shape)).fill(attrs.value as number), shape, dtype, device).storage;
    if (!this.shared.has(id)) return upload();
    const key = `${device}:${dtype}:${shape.join(",")}:${Object.is(attrs.value, -0) ? "-0" : String(attrs.value)}`;
    let storage = this.uploaded.get(key);
    if (!storage) this.uploaded.set(key, (storage = upload()));
    return storage.retain();
  }

  /** Gives back the references the run's cache holds (each value keeps its own until its last reader). */
  release(): void {
    for (const s of this.uploaded.values()) s.release();
    this.uploaded.clear();
  }
}
