import type { WasmRuntime } from "../runtime/runtime.ts";

/**
 * A block of the WASM memory for a kernel's own intermediates (a recurrence's projections, a conv's
 * patches), kept per runtime between launches and grown on demand. Not the runtime's scratchFor:
 * `run` may reallocate that area for its participants in the middle of the kernel. Kernels run one
 * at a time on the calling thread, so they can share the one block; a kernel must not hold it
 * across a launch of another kernel that uses it.
 */
const held = new WeakMap<WasmRuntime, { base: number; bytes: number }>();

/** Byte address of at least `bytes` (64-aligned) of private scratch, or undefined when the memory is full. */
export function privateScratch(rt: WasmRuntime, bytes: number): number | undefined {
  const block = held.get(rt);
  if (block && block.bytes >= bytes) return block.base;
  if (block) rt.arena.free(block.base, block.bytes);
  held.delete(rt);
  const size = Math.max(bytes, 4096);
  const base = rt.arena.alloc(size);
  if (base === undefined) return undefined;
  held.set(rt, { base, bytes: size });
  return base;
}
