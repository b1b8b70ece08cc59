import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { FormatError } from "@polychip/hal";
import { resolveExternalData } from "./external-data.ts";
import { decodeModel } from "./proto/codec.ts";
import type { ModelProto } from "./proto/types.ts";

/**
 * Reads an .onnx file and the external-data files beside it (Node only): the ModelProto that
 * importModelProto and OnnxSession.create take. Every file error names the path.
 */
export function readOnnxModel(path: string): ModelProto {
  const read = (file: string, what: string) => {
    try {
      const b = readFileSync(file);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (err) {
      throw new FormatError(`cannot read ${what} '${file}': ${(err as Error).message}`);
    }
  };
  const model = decodeModel(read(path, "ONNX model"));
  return resolveExternalData(model, (location) => read(join(dirname(path), location), "external data file"));
}
