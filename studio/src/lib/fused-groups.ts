/**
 * Relates a graph after a session's load-time passes to the graph before them: each node that runs
 * several original ops (a `fused` chain, a GEMM epilogue, a conv with its batch norm folded in), its
 * member ops and the original nodes it replaced, so the graph view can draw a fused kernel as the
 * group of ops it runs.
 */
export interface GroupableNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Readonly<Record<string, unknown>>;
}

export interface FusedGroup {
  /** Index of the fused node in the fused graph. */
  node: number;
  /** The ops its program runs, in order (constants left out). */
  ops: string[];
  /** Indices of the original graph's nodes it replaced. */
  members: number[];
}

/** The op names of a `fused` node's program (attrs.program is JSON text or an already-parsed list). */
export function programOps(attrs: Readonly<Record<string, unknown>> | undefined): string[] {
  const raw = attrs?.program;
  const steps: unknown = typeof raw === "string" ? JSON.parse(raw) : raw;
  if (!Array.isArray(steps)) throw new Error(`fused node: attrs.program is not a list of steps (got ${JSON.stringify(raw)?.slice(0, 80)})`);
  return steps.flatMap((s: { op?: unknown }) => (typeof s?.op === "string" && s.op !== "const" ? [s.op] : []));
}

/**
 * For each node of the passed graph that stands for several original nodes (a `fused` chain, a
 * GEMM epilogue, a conv with its batch norm folded in): walks back from its outputs through the
 * original graph's producers and stops at the node's own inputs; the nodes passed on the way are
 * the ones it replaced. A node that replaced only itself is no group.
 */
export function fusedGroups(original: readonly GroupableNode[], fused: readonly GroupableNode[]): FusedGroup[] {
  const producer = new Map<string, number>();
  original.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const groups: FusedGroup[] = [];
  fused.forEach((n, index) => {
    const boundary = new Set(n.inputs);
    const members = new Set<number>();
    const pending = [...n.outputs];
    while (pending.length) {
      const value = pending.pop()!;
      const p = producer.get(value);
      if (boundary.has(value) || p === undefined || members.has(p)) continue;
      members.add(p);
      pending.push(...original[p]!.inputs);
    }
    if (members.size < 2) return;
    const sorted = [...members].sort((a, b) => a - b);
    const ops = n.op === "fused" ? programOps(n.attrs) : sorted.map((i) => original[i]!.op).filter((op) => op !== "const");
    groups.push({ node: index, ops, members: sorted });
  });
  return groups;
}
