/**
 * The WebGPU flag values, fixed by the specification. Kept here so the core never needs the
 * `GPUBufferUsage` / `GPUMapMode` globals, which Dawn in Node only provides through its `globals` export.
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  QUERY_RESOLVE: 0x0200,
} as const;

export const MapMode = { READ: 0x0001, WRITE: 0x0002 } as const;

export function align4(bytes: number): number {
  return Math.ceil(bytes / 4) * 4;
}
