import { dtypeBytes, FormatError, isDType, sizeOf, type DType } from "@polychip/hal";
import { encodeHost, ownedCopy } from "../core/host.ts";
import { tensor } from "../ops/creation.ts";
import type { Tensor } from "../tensor.ts";
import { asBytes, type ByteSource } from "../io/bytes.ts";
import { readContainer, writeContainer } from "../io/container.ts";

const MAGIC = "PCCK";
const VERSION = 1;

interface CheckpointHeader {
  meta: Record<string, unknown>;
  tensors: { name: string; dtype: DType; shape: number[] }[];
}

/** Serialises named tensors (a state dict) plus free-form metadata into one checksummed buffer. */
export async function saveCheckpoint(state: Map<string, Tensor>, meta: Record<string, unknown> = {}): Promise<Uint8Array> {
  const names = [...state.keys()];
  const blobs: Uint8Array[] = [];
  const tensors: CheckpointHeader["tensors"] = [];
  for (const name of names) {
    const t = state.get(name)!;
    blobs.push(encodeHost(await t.data(), t.dtype));
    tensors.push({ name, dtype: t.dtype, shape: t.shape });
  }
  return writeContainer(MAGIC, VERSION, { meta, tensors }, blobs).bytes;
}

export interface LoadedCheckpoint {
  meta: Record<string, unknown>;
  state: Map<string, Tensor>;
}

/** Reads a checkpoint from any byte view (a Node Buffer from readFileSync included). */
export function loadCheckpoint(source: ByteSource, device?: string): LoadedCheckpoint {
  const c = readContainer<CheckpointHeader>(asBytes(source, "checkpoint"), MAGIC, VERSION, "checkpoint");
  const state = new Map<string, Tensor>();
  if (!Array.isArray(c.header.tensors)) throw new FormatError("checkpoint: header has no tensor table");
  c.header.tensors.forEach((entry, i) => {
    if (!isDType(entry.dtype) || !Array.isArray(entry.shape)) throw new FormatError(`checkpoint: tensor '${entry.name}' has an invalid dtype or shape`);
    const raw = c.blob(i);
    const expected = sizeOf(entry.shape) * dtypeBytes(entry.dtype);
    if (raw.byteLength !== expected) throw new FormatError(`checkpoint: tensor '${entry.name}' holds ${raw.byteLength} bytes, its shape needs ${expected}`);
    state.set(entry.name, tensorFromBytes(raw, entry.dtype, entry.shape, device));
  });
  return { meta: c.header.meta ?? {}, state };
}

function tensorFromBytes(raw: Uint8Array, dtype: DType, shape: number[], device?: string): Tensor {
  const copy = ownedCopy(raw);
  const n = sizeOf(shape);
  const values =
    dtype === "float32"
      ? new Float32Array(copy.buffer, 0, n)
      : dtype === "int32"
        ? new Int32Array(copy.buffer, 0, n)
        : dtype === "int8"
          ? new Int8Array(copy.buffer, 0, n)
          : dtype === "float16"
            ? halfToFloat(new Uint16Array(copy.buffer, 0, n))
            : copy;
  return tensor(values, { shape, dtype, device });
}

import { float16BitsToFloat32 } from "@polychip/hal";
function halfToFloat(bits: Uint16Array): Float32Array {
  return Float32Array.from(bits, float16BitsToFloat32);
}
