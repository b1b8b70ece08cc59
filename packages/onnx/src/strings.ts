import { FormatError } from "@polychip/hal";
import { tensorDims } from "./tensor.ts";
import { DataType, type TensorProto } from "./proto/types.ts";

/**
 * An ONNX STRING tensor. The HAL has no string dtype: strings stay on the host, string ops run
 * there (import/ops/strings.ts), and only numbers (a LabelEncoder's ids, an Equal's booleans)
 * reach a device.
 */
export interface StringTensor {
  readonly dtype: "string";
  readonly shape: readonly number[];
  readonly data: readonly string[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function isStringProto(t: TensorProto): boolean {
  return t.dataType === DataType.STRING;
}

/** A STRING TensorProto's values (string_data, each UTF-8); refused when it is not valid UTF-8 or the count is off. */
export function stringTensorFromProto(t: TensorProto, what: string): StringTensor {
  if (t.dataType !== DataType.STRING) throw new FormatError(`${what}: not a STRING tensor`);
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) throw new FormatError(`${what}: STRING tensors cannot be stored externally`);
  const shape = tensorDims(t, what);
  const size = shape.reduce((a, b) => a * b, 1);
  const raw = t.stringData ?? [];
  if (raw.length !== size) throw new FormatError(`${what}: shape [${shape.join(", ")}] needs ${size} strings, string_data holds ${raw.length}`);
  const data = raw.map((bytes, i) => {
    try {
      return utf8.decode(bytes);
    } catch {
      throw new FormatError(`${what}: string ${i} is not valid UTF-8`);
    }
  });
  return { dtype: "string", shape, data };
}

export function stringTensor(shape: readonly number[], data: readonly string[]): StringTensor {
  return { dtype: "string", shape: [...shape], data };
}

/** Whether a run's feed or result is a string tensor (its data an array of strings). */
export function isStringTensor(v: unknown): v is StringTensor {
  if (typeof v !== "object" || v === null) return false;
  const t = v as { dtype?: unknown; data?: unknown };
  return t.dtype === "string" || (Array.isArray(t.data) && t.data.length > 0 && t.data.every((s) => typeof s === "string"));
}

/** A feed given as strings, checked: its data's length is its shape's size. */
export function stringFeed(name: string, v: { shape: readonly number[]; data: readonly unknown[] }): StringTensor {
  const size = v.shape.reduce((a, b) => a * b, 1);
  if (v.data.length !== size) throw new FormatError(`input '${name}': shape [${v.shape.join(", ")}] needs ${size} strings, got ${v.data.length}`);
  v.data.forEach((s, i) => {
    if (typeof s !== "string") throw new FormatError(`input '${name}' is a STRING tensor: element ${i} is ${typeof s}, not a string`);
  });
  return stringTensor(v.shape, v.data as string[]);
}
