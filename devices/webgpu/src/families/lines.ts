/**
 * WGSL for kernels that reduce along lines and then write every element of the line (softmax,
 * layerNorm): one workgroup of LINE_GROUP invocations per line, each folding a strided share of the
 * line, combined through a shared-memory tree. `lineReduce(combine)` emits `fn tree_<name>(v) -> f32`,
 * which every invocation of the workgroup must call (it contains barriers).
 */
export const LINE_GROUP = 64;

export function treeReduceWgsl(name: string, combine: (a: string, b: string) => string): string {
  return `fn tree_${name}(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var w = ${LINE_GROUP / 2}u; w > 0u; w = w >> 1u) {
    if (lid < w) { red[lid] = ${combine("red[lid]", "red[lid + w]")}; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;
}

export const RED_DECL = `var<workgroup> red: array<f32, ${LINE_GROUP}>;`;
