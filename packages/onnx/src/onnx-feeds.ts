import { DTypeError, type DType } from "@polychip/hal";
import { isRawView, type RuntimeInput } from "@polychip/engine/runtime";
import { narrowDoubles } from "./narrow-doubles.ts";

/**
 * ONNX and onnxruntime spell input types their own way: int64 ids and masks (as BigInt64Array or
 * plain numbers), float64. Polychip holds int32 and float32, so such feeds are converted here,
 * each integer checked to fit (a value past int32 is an error naming the input, never a wrapped
 * number). Feeds already in a Polychip dtype pass through untouched.
 */
const WIDENED: Readonly<Record<string, DType>> = {
  int64: "int32",
  uint64: "int32",
  uint32: "int32",
  int16: "int32",
  uint16: "int32",
  float64: "float32",
  double: "float32",
};

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

type Feeds = Readonly<Record<string, RuntimeInput>>;

/** The feeds with ONNX-typed ones converted (the same object when none needs it). */
export function polychipFeeds(feeds: Feeds): Feeds {
  let out: Record<string, RuntimeInput> | undefined;
  for (const name in feeds) {
    const given = feeds[name];
    if (!given || isRawView(given)) continue;
    const converted = converted64(name, given as { data: unknown; shape: readonly number[]; dtype?: string });
    if (converted) (out ??= { ...feeds })[name] = converted;
  }
  return out ?? feeds;
}

function converted64(name: string, given: { data: unknown; shape: readonly number[]; dtype?: string }): RuntimeInput | undefined {
  const data = given.data;
  const bigInts = data instanceof BigInt64Array || data instanceof BigUint64Array;
  const target = given.dtype !== undefined ? WIDENED[given.dtype] : bigInts ? "int32" : data instanceof Float64Array ? "float32" : undefined;
  if (!target) return undefined;
  const values = data as ArrayLike<number | bigint>;
  if (!values || typeof values.length !== "number") return undefined; // the runtime names the bad data
  if (target === "float32")
    return { dtype: "float32", shape: given.shape, data: narrowDoubles(Array.from(values as ArrayLike<number>, Number), `input '${name}'`) };
  const ints = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const n = typeof v === "bigint" ? (v >= BigInt(INT32_MIN) && v <= BigInt(INT32_MAX) ? Number(v) : Number.NaN) : v;
    if (!Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX)
      throw new DTypeError(
        `input '${name}': ${given.dtype ?? "int64"} value ${String(v)} at index ${i} does not fit in int32, the widest integer Polychip holds`,
      );
    ints[i] = n;
  }
  return { dtype: target, shape: given.shape, data: ints };
}
