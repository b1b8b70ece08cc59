import { UnsupportedOpError } from "@polychip/hal";
import type { DecodedImage } from "./image.ts";

export function decodeJpeg(_bytes: Uint8Array): DecodedImage {
  throw new UnsupportedOpError("JPEG images are not supported yet");
}
