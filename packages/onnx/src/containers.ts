import { FormatError, UnsupportedOpError } from "@polychip/hal";
import type { TypeProto } from "./proto/types.ts";

/**
 * ONNX graph inputs and outputs that are not tensors: a sequence (a list of tensors) or an
 * optional (a value, or nothing). Polychip plans a model with the length of each sequence and
 * the presence of each optional known, so such a value crosses the graph's edge as its tensors,
 * each a graph input or output of its own under a path name: element `i` of sequence `s` is
 * `s[i]`, the value of optional `o` is `o.value` (nested: `o.value[2]`). A `ValueLayout` records
 * that structure, so a caller turns the tensors back into the value.
 */

/** A value of any ONNX type Polychip takes: a tensor, a sequence (an array), an optional (null or undefined when absent). */
export type OnnxValue<T> = T | readonly OnnxValue<T>[] | null | undefined;

/** The structure of a sequence or optional value: its tensors are named graph inputs or outputs. */
export type ValueLayout = { readonly tensor: string } | { readonly sequence: readonly ValueLayout[] } | { readonly optional: ValueLayout | null };

export type ContainerKind = "sequence" | "optional";

/** "sequence" or "optional" for a declared type that is one, undefined for a tensor (or no type); maps and sparse tensors are refused, naming `what`. */
export function containerKind(type: TypeProto | undefined, what?: string): ContainerKind | undefined {
  if (type?.sequenceType) return "sequence";
  if (type?.optionalType) return "optional";
  const refused = type?.mapType ? "maps" : type?.sparseTensorType ? "sparse tensors" : undefined;
  if (refused) throw new UnsupportedOpError(`${what ? `${what}: ` : ""}ONNX ${refused} are not supported (only tensors, sequences and optionals)`);
  return undefined;
}

/** The name of element `i` of sequence `path`, and of the value an optional `path` holds. */
export const elementName = (path: string, i: number): string => `${path}[${i}]`;
export const optionalValueName = (path: string): string => `${path}.value`;

function isTensorLike(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Splits `value`, given for `path` declared as `type`, into its tensors (added to `out` under
 * their path names) and returns its layout. A value that does not fit the declared type is an
 * error naming the input.
 */
export function flattenValue<T>(path: string, type: TypeProto | undefined, value: OnnxValue<T>, out: Record<string, T>): ValueLayout {
  const kind = containerKind(type, `input '${path}'`);
  if (kind === "sequence") {
    if (!Array.isArray(value)) throw new FormatError(`input '${path}' is declared a sequence: pass an array of tensors, got ${describeValue(value)}`);
    return { sequence: value.map((v, i) => flattenValue(elementName(path, i), type!.sequenceType!.elemType, v as OnnxValue<T>, out)) };
  }
  if (kind === "optional") {
    if (value === null || value === undefined) return { optional: null };
    return { optional: flattenValue(optionalValueName(path), type!.optionalType!.elemType, value, out) };
  }
  if (!isTensorLike(value)) throw new FormatError(`input '${path}' is declared a tensor, got ${describeValue(value)}`);
  out[path] = value as T;
  return { tensor: path };
}

/** The value a layout describes, its tensors read from `tensors` by name. */
export function assembleValue<T>(layout: ValueLayout, tensors: Readonly<Record<string, T>>): OnnxValue<T> {
  if ("tensor" in layout) return tensors[layout.tensor];
  if ("sequence" in layout) return layout.sequence.map((l) => assembleValue(l, tensors));
  return layout.optional ? assembleValue(layout.optional, tensors) : null;
}

/** The tensor names of a layout, in order. */
export function layoutTensors(layout: ValueLayout): string[] {
  if ("tensor" in layout) return [layout.tensor];
  if ("sequence" in layout) return layout.sequence.flatMap(layoutTensors);
  return layout.optional ? layoutTensors(layout.optional) : [];
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === "object" ? "a tensor" : typeof v;
}
