import { PolychipError } from "@polychip/hal";
import { tensor } from "../ops/creation.ts";
import { stack } from "../ops/indexing.ts";
import { Tensor } from "../tensor.ts";

/**
 * torch's default_collate: tensors are stacked along a new dim 0; numbers become a 1-D tensor
 * (int32 when every one is an integer, as class labels are, else float32); arrays and plain
 * objects are collated field by field; strings stay a list.
 */
export function defaultCollate(items: unknown[]): unknown {
  const first = items[0];
  if (first instanceof Tensor) {
    if (!items.every((v) => v instanceof Tensor)) throw new PolychipError("defaultCollate: a batch mixes tensors with other values");
    return stack(items as Tensor[], 0);
  }
  if (typeof first === "number") {
    if (!items.every((v) => typeof v === "number")) throw new PolychipError("defaultCollate: a batch mixes numbers with other values");
    const nums = items as number[];
    return nums.every(Number.isInteger) ? tensor(Int32Array.from(nums)) : tensor(Float32Array.from(nums));
  }
  if (typeof first === "string" || typeof first === "boolean") return items;
  if (Array.isArray(first)) {
    if (!items.every((v) => Array.isArray(v) && v.length === first.length))
      throw new PolychipError(`defaultCollate: items are arrays of different lengths (first has ${first.length})`);
    return first.map((_, k) => defaultCollate(items.map((v) => (v as unknown[])[k])));
  }
  if (first !== null && typeof first === "object" && Object.getPrototypeOf(first) === Object.prototype) {
    return Object.fromEntries(Object.keys(first).map((k) => [k, defaultCollate(items.map((v) => (v as Record<string, unknown>)[k]))]));
  }
  throw new PolychipError(
    `defaultCollate: cannot batch ${first === null ? "null" : typeof first === "object" ? first.constructor?.name : typeof first}; pass a collate function`,
  );
}
