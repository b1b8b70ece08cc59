/**
 * Whether bytes can be an ONNX model, without parsing it: a ModelProto is a protobuf message, so
 * its top-level fields must decode cleanly to the last byte and include the graph (field 7).
 * A file that is only named `.onnx` fails with the reason.
 */
const GRAPH_FIELD = 7;

function varint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = at; i < bytes.length && shift < 64; shift += 7, i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return { value, next: i + 1 };
  }
  return undefined;
}

/** Undefined when the bytes are shaped like an ONNX model, else what is wrong with them. */
export function onnxProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return "the file is empty";
  let at = 0;
  let hasGraph = false;
  while (at < bytes.length) {
    const key = varint(bytes, at);
    if (!key || key.value === 0) return `byte ${at} does not start a protobuf field`;
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    at = key.next;
    if (wire === 0) {
      const v = varint(bytes, at);
      if (!v) return `a number at byte ${at} runs past the end`;
      at = v.next;
    } else if (wire === 2) {
      const len = varint(bytes, at);
      if (!len || len.next + len.value > bytes.length) return `a field at byte ${at} claims more bytes than the file has`;
      if (field === GRAPH_FIELD) hasGraph = true;
      at = len.next + len.value;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > bytes.length) return "a fixed-size field runs past the end";
    } else return `byte ${at} has protobuf wire type ${wire}, which ONNX does not use`;
  }
  return hasGraph ? undefined : "it has no graph";
}
