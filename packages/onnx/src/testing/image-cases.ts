import { readFileSync } from "node:fs";
import { decodeTensorProto } from "../proto/codec.ts";

/** An ONNX ImageDecoder node test's encoded input and expected pixels (conformance/extra-node/test_image_decoder_decode_<name>). */
export function imageDecoderCase(name: string): { encoded: Uint8Array; expected: Uint8Array; shape: number[] } {
  const dir = new URL(`../../conformance/extra-node/test_image_decoder_decode_${name}/test_data_set_0/`, import.meta.url);
  const input = decodeTensorProto(new Uint8Array(readFileSync(new URL("input_0.pb", dir))));
  const output = decodeTensorProto(new Uint8Array(readFileSync(new URL("output_0.pb", dir))));
  return { encoded: Uint8Array.from(input.rawData!), expected: Uint8Array.from(output.rawData!), shape: (output.dims ?? []).map(Number) };
}
