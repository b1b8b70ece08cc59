import { FormatError } from "@polychip/hal";

/**
 * BMP's run-length encodings (BI_RLE8, BI_RLE4) into palette indices, rows in file order (bottom
 * row first). Runs past a row's end are clipped (as Pillow clips them); pixels the stream skips
 * (end of line, delta, end of bitmap) keep index 0, as in Pillow. A stream that ends before its
 * end-of-bitmap code with rows still to fill is a truncated file.
 */
export function decodeRle(src: Uint8Array, width: number, height: number, rle4: boolean): Uint8Array {
  const indices = new Uint8Array(width * height);
  let x = 0;
  let y = 0;
  let at = 0;
  const put = (v: number) => {
    if (x < width && y < height) indices[y * width + x] = v;
    x++;
  };
  const truncated = () => new FormatError(`BMP: truncated file (the ${rle4 ? "RLE4" : "RLE8"} data ends at row ${y} of ${height})`);
  while (y < height) {
    if (at + 2 > src.length) throw truncated();
    const count = src[at]!;
    const value = src[at + 1]!;
    at += 2;
    if (count > 0) {
      for (let k = 0; k < count; k++) put(rle4 ? (k % 2 === 0 ? value >> 4 : value & 15) : value);
    } else if (value === 0) {
      x = 0;
      y++;
    } else if (value === 1) break;
    else if (value === 2) {
      if (at + 2 > src.length) throw truncated();
      x += src[at]!;
      y += src[at + 1]!;
      at += 2;
    } else {
      // Absolute mode: `value` literal pixels, their bytes padded to an even count.
      const bytes = rle4 ? Math.ceil(value / 2) : value;
      if (at + bytes > src.length) throw truncated();
      for (let k = 0; k < value; k++) put(rle4 ? (k % 2 === 0 ? src[at + (k >> 1)]! >> 4 : src[at + (k >> 1)]! & 15) : src[at + k]!);
      at += bytes + (bytes % 2);
    }
  }
  return indices;
}
