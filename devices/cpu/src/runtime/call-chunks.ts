/** Calls a WASM export with `args` and then `c0, c1, scratch`, without a spread (which costs more than a small kernel's loop). */
export function callChunks(fn: (...args: number[]) => unknown, a: readonly number[], c0: number, c1: number, scratch: number): void {
  switch (a.length) {
    case 0:
      fn(c0, c1, scratch);
      return;
    case 1:
      fn(a[0]!, c0, c1, scratch);
      return;
    case 2:
      fn(a[0]!, a[1]!, c0, c1, scratch);
      return;
    case 3:
      fn(a[0]!, a[1]!, a[2]!, c0, c1, scratch);
      return;
    case 4:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, c0, c1, scratch);
      return;
    case 5:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, c0, c1, scratch);
      return;
    case 6:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, c0, c1, scratch);
      return;
    case 7:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, c0, c1, scratch);
      return;
    case 8:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, c0, c1, scratch);
      return;
    case 9:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, c0, c1, scratch);
      return;
    case 10:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, c0, c1, scratch);
      return;
    case 11:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, c0, c1, scratch);
      return;
    case 12:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, c0, c1, scratch);
      return;
    case 13:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, c0, c1, scratch);
      return;
    case 14:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, c0, c1, scratch);
      return;
    case 15:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, c0, c1, scratch);
      return;
    case 16:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!, c0, c1, scratch);
      return;
    case 17:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!, a[16]!, c0, c1, scratch);
      return;
    case 18:
      fn(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!, a[16]!, a[17]!, c0, c1, scratch);
      return;
    default:
      fn(...a, c0, c1, scratch);
  }
}
