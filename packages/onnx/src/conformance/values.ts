import { FormatError, UnsupportedOpError, type DType } from "@polychip/hal";
import { containerKind, type OnnxValue } from "../containers.ts";
import { decodeOptionalProto, decodeSequenceProto, decodeTensorProto } from "../proto/codec.ts";
import { ContainerElemType, type OptionalProto, type SequenceProto, type TensorProto, type TypeProto } from "../proto/types.ts";
import { tensorFromProto, tensorValues, type HostTensor } from "../tensor.ts";
import { isStringProto, isStringTensor, stringTensorFromProto, type StringTensor } from "../strings.ts";
import { compareTensors, type Comparison, type Tolerance } from "./compare.ts";

/**
 * A backend test's input_N.pb / output_N.pb holds a TensorProto, a SequenceProto or an
 * OptionalProto: which one is the type the model declares for that input or output (the bytes do
 * not say, and reading one as another gives garbage), so the file is decoded as that type.
 */
export type TestValue = { readonly tensor: TensorProto } | { readonly sequence: readonly TestValue[] } | { readonly optional: TestValue | null };

const ELEM_NAMES: Record<number, string> = { 2: "sparse tensors", 4: "maps" };

/** Reads a test data file as the value of the declared `type` (a tensor when the model declares none). */
export function readTestValue(bytes: Uint8Array, type: TypeProto | undefined, what: string): TestValue {
  const kind = containerKind(type, what);
  if (kind === "sequence") return fromSequence(decodeSequenceProto(bytes), what);
  if (kind === "optional") return fromOptional(decodeOptionalProto(bytes), what);
  const tensor = decodeTensorProto(bytes);
  // A SequenceProto or OptionalProto read as a TensorProto has its name as dims and no data: refused, not misread.
  const dims = (tensor.dims ?? []).map(Number);
  if (!tensor.dataType || (!holdsData(tensor) && dims.every((d) => d > 0)))
    throw new FormatError(
      `${what}: not a TensorProto (${tensor.dataType ? `no data for dims [${dims.join(", ")}]` : "no data_type"}), but the model declares a tensor here`,
    );
  return { tensor };
}

function holdsData(t: TensorProto): boolean {
  const lists = [t.floatData, t.int32Data, t.int64Data, t.doubleData, t.uint64Data, t.stringData, t.externalData];
  return (t.rawData?.byteLength ?? 0) > 0 || lists.some((l) => (l?.length ?? 0) > 0);
}

function fromSequence(s: SequenceProto, what: string): TestValue {
  const elem = s.elemType ?? ContainerElemType.UNDEFINED;
  const list =
    elem === ContainerElemType.TENSOR
      ? (s.tensorValues ?? []).map((tensor) => ({ tensor }))
      : elem === ContainerElemType.SEQUENCE
        ? (s.sequenceValues ?? []).map((v, i) => fromSequence(v, `${what}[${i}]`))
        : elem === ContainerElemType.OPTIONAL
          ? (s.optionalValues ?? []).map((v, i) => fromOptional(v, `${what}[${i}]`))
          : refuse(elem, what);
  return { sequence: list };
}

function fromOptional(o: OptionalProto, what: string): TestValue {
  const elem = o.elemType ?? ContainerElemType.UNDEFINED;
  if (elem === ContainerElemType.TENSOR) return { optional: o.tensorValue ? { tensor: o.tensorValue } : null };
  if (elem === ContainerElemType.SEQUENCE) return { optional: o.sequenceValue ? fromSequence(o.sequenceValue, `${what}.value`) : null };
  if (elem === ContainerElemType.OPTIONAL) return { optional: o.optionalValue ? fromOptional(o.optionalValue, `${what}.value`) : null };
  // An empty optional may leave its element type undefined.
  if (elem === ContainerElemType.UNDEFINED) return { optional: null };
  return refuse(elem, what);
}

function refuse(elem: number, what: string): never {
  throw new FormatError(`${what}: holds ${ELEM_NAMES[elem] ?? `values of kind ${elem}`}, which Polychip does not read (tensors, sequences and optionals only)`);
}

/** The value with its tensors decoded (int64 held as int32), as a run takes it. */
export function hostValue(v: TestValue, what: string): OnnxValue<HostTensor> | StringTensor {
  if ("tensor" in v && isStringProto(v.tensor)) return stringTensorFromProto(v.tensor, what);
  if ("tensor" in v) return tensorFromProto(v.tensor, what, { clampInt: true });
  if ("sequence" in v) return v.sequence.map((e, i) => tensorOnly(hostValue(e, `${what}[${i}]`), what));
  return v.optional ? tensorOnly(hostValue(v.optional, `${what}.value`), what) : null;
}

/** Sequences and optionals of strings are not read (Polychip keeps strings as plain host tensors). */
function tensorOnly(v: OnnxValue<HostTensor> | StringTensor, what: string): OnnxValue<HostTensor> {
  if (isStringTensor(v)) throw new UnsupportedOpError(`${what}: a sequence or optional of STRING tensors is not supported`);
  return v as OnnxValue<HostTensor>;
}

type Output = { dtype: DType; shape: readonly number[]; data: ArrayLike<number> };

/** Compares a run's output with the expected value, element by element for sequences, presence for optionals. */
export function compareValue(got: OnnxValue<Output> | StringTensor, expected: TestValue, tol: Tolerance, what: string): Comparison {
  if ("tensor" in expected && isStringProto(expected.tensor))
    return compareStrings(got, stringTensorFromProto(expected.tensor, what || "expected output"), what);
  if ("tensor" in expected) {
    if (got === null || got === undefined || Array.isArray(got)) return mismatch(`${what}: got ${describe(got)}, expected a tensor`);
    const cmp = compareTensors(got as Output, tensorValues(expected.tensor, what), tol);
    return cmp.ok || what === "" ? cmp : { ...cmp, reason: `${what}: ${cmp.reason}` };
  }
  if ("optional" in expected) {
    if (expected.optional === null)
      return got === null || got === undefined ? { ok: true, maxAbsError: 0 } : mismatch(`${what}: got ${describe(got)}, expected an empty optional`);
    if (got === null || got === undefined) return mismatch(`${what}: got an empty optional, expected a value`);
    return compareValue(got, expected.optional, tol, `${what}.value`);
  }
  if (!Array.isArray(got)) return mismatch(`${what}: got ${describe(got)}, expected a sequence of ${expected.sequence.length}`);
  if (got.length !== expected.sequence.length) return mismatch(`${what}: got a sequence of ${got.length}, expected ${expected.sequence.length}`);
  let maxAbsError = 0;
  for (const [i, e] of expected.sequence.entries()) {
    const cmp = compareValue(got[i] as OnnxValue<Output>, e, tol, `${what}[${i}]`);
    if (!cmp.ok) return cmp;
    maxAbsError = Math.max(maxAbsError, cmp.maxAbsError);
  }
  return { ok: true, maxAbsError };
}

/** STRING outputs compare exactly: shape, then each string. */
function compareStrings(got: unknown, expected: StringTensor, what: string): Comparison {
  const prefix = what ? `${what}: ` : "";
  if (!isStringTensor(got) && !(got && typeof got === "object" && (got as StringTensor).dtype === "string"))
    return mismatch(`${prefix}got ${describe(got)} of numbers, expected a STRING tensor`);
  const t = got as StringTensor;
  if (t.shape.join(",") !== expected.shape.join(",")) return mismatch(`${prefix}shape [${t.shape.join(", ")}], expected [${expected.shape.join(", ")}]`);
  const i = expected.data.findIndex((s, k) => t.data[k] !== s);
  if (i >= 0) return mismatch(`${prefix}string ${i} is ${JSON.stringify(t.data[i])}, expected ${JSON.stringify(expected.data[i])}`);
  return { ok: true, maxAbsError: 0 };
}

function mismatch(reason: string): Comparison {
  return { ok: false, maxAbsError: NaN, reason };
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  return Array.isArray(v) ? `a sequence of ${v.length}` : "a tensor";
}
