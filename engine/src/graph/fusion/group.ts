/** One node as the grouper sees it; each caller's adapter builds these from its own nodes. */
export interface GroupingNode {
  /** Nodes with one key (output shape, device) may share a group; undefined: never a member. */
  readonly key?: string;
  /** Set on a GEMM that may head a group of the nodes reading its result: the epilogue op it becomes. */
  readonly epilogue?: string;
  /** Value ids read; `plain`: as stored, with the reader's shape, so the value can stay in registers. */
  readonly inputs: readonly { readonly value: number; readonly plain: boolean }[];
  readonly outputs: readonly number[];
}

/**
 * Where groups run. "in-order": each group at its last member, every other node where it was
 * (compile's plans keep the recorded order, which in-place writes rely on), so a group stops
 * growing once a node outside it has read one of its values. "reorderable": the caller then
 * orders the units topologically (orderUnits), so a node joins unless that makes a cycle.
 */
export type Placement = "in-order" | "reorderable";

/**
 * The most nodes one group takes. Checking a join costs time in the group's size, so without a
 * bound a long elementwise chain (an unrolled loop: thousands of nodes) groups in quadratic time
 * or worse (4,000 nodes took 17 s); a program that long gains nothing more from being one kernel.
 */
export const MAX_GROUP_MEMBERS = 128;

export interface GroupingOptions {
  readonly placement: Placement;
  /** The most inputs plus outputs a group may have; joins past it are not made. Default: no limit. */
  readonly maxOperands?: number;
  /** Values needed after the last node (graph outputs): an output of the group that makes them. */
  readonly kept?: ReadonlySet<number>;
  /** Values that are no operand of a group (scalars its program holds as `const` steps). */
  readonly inlined?: ReadonlySet<number>;
}

export interface FusionGroup {
  /** Node indices, ascending. */
  readonly members: number[];
  readonly key: string;
  /** The GEMM heading the group, and the epilogue op it becomes. */
  readonly head?: number;
  readonly epilogue?: string;
}

/**
 * The one rule for which nodes run as one fused kernel, for compile's recorded steps and for the
 * graph passes alike. Nodes are taken in order; a node with a key joins the groups of the nodes
 * whose results it reads when they have its key, it reads each of their values plainly, the
 * placement allows it (in order: no outside node read them yet; reorderable: no cycle) and the
 * joined group keeps within maxOperands and MAX_GROUP_MEMBERS. A GEMM with an epilogue starts a group of its own, which
 * is joined first; a group holds at most one GEMM. Returns the groups of two or more nodes.
 */
export function groupNodes(nodes: readonly GroupingNode[], options: GroupingOptions): FusionGroup[] {
  const producer = new Map<number, number>();
  nodes.forEach((n, i) => n.outputs.forEach((v) => producer.set(v, i)));
  const groupOf: (FusionGroup | undefined)[] = [];
  // In order, a group read by a node outside it may take no more members: they would run after that reader.
  const closed = new Set<FusionGroup>();
  const open = (g: FusionGroup) => options.placement === "reorderable" || !closed.has(g);
  const fits = joinCheck(nodes, options, producer, groupOf);

  nodes.forEach((n, i) => {
    let joined: FusionGroup | undefined;
    if (n.key !== undefined && n.epilogue) joined = { members: [i], key: n.key, head: i, epilogue: n.epilogue };
    else if (n.key !== undefined) {
      let members = [i];
      const merged: FusionGroup[] = [];
      let head: number | undefined;
      let epilogue: string | undefined;
      for (const g of candidates(n, producer, groupOf, open)) {
        if (g.head !== undefined && head !== undefined) continue;
        if (members.length + g.members.length > MAX_GROUP_MEMBERS) continue;
        const next = [...members, ...g.members].sort((a, b) => a - b);
        if (!fits(next, [...merged, g])) continue;
        [members, head, epilogue] = [next, head ?? g.head, epilogue ?? g.epilogue];
        merged.push(g);
      }
      joined = { members, key: n.key, head, epilogue };
    }
    if (joined) for (const m of joined.members) groupOf[m] = joined;
    for (const r of n.inputs) {
      const g = groupOf[producer.get(r.value) ?? -1];
      if (g && g !== joined) closed.add(g);
    }
  });
  return [...new Set(groupOf)].filter((g): g is FusionGroup => g !== undefined && g.members.length > 1);
}

/** The groups node `n` may join, a GEMM's first: its key, open, and every value `n` reads from it read plainly. */
function candidates(
  n: GroupingNode,
  producer: ReadonlyMap<number, number>,
  groupOf: readonly (FusionGroup | undefined)[],
  open: (g: FusionGroup) => boolean,
): FusionGroup[] {
  const out: FusionGroup[] = [];
  for (const r of n.inputs) {
    const g = groupOf[producer.get(r.value) ?? -1];
    if (!g || out.includes(g) || g.key !== n.key || !open(g)) continue;
    if (n.inputs.every((other) => groupOf[producer.get(other.value) ?? -1] !== g || other.plain)) out.push(g);
  }
  return [...out.filter((g) => g.head !== undefined), ...out.filter((g) => g.head === undefined)];
}

/** Whether merged groups `merging` with `members` keep within maxOperands and, when reorderable, make no cycle. */
function joinCheck(
  nodes: readonly GroupingNode[],
  options: GroupingOptions,
  producer: ReadonlyMap<number, number>,
  groupOf: readonly (FusionGroup | undefined)[],
): (members: readonly number[], merging: readonly FusionGroup[]) => boolean {
  const maxOperands = options.maxOperands ?? Infinity;
  const readers = new Map<number, number[]>();
  nodes.forEach((n, i) =>
    n.inputs.forEach((r) => {
      const list = readers.get(r.value);
      if (list) list.push(i);
      else readers.set(r.value, [i]);
    }),
  );
  const producers = nodes.map((n) => n.inputs.map((r) => producer.get(r.value)).filter((p): p is number => p !== undefined));
  const producersOf = (i: number) => producers[i]!;
  const unitOf = (i: number): FusionGroup | number => groupOf[i] ?? i;

  const operands = (members: readonly number[]): number => {
    const inside = new Set(members.flatMap((m) => nodes[m]!.outputs));
    const inputs = new Set(members.flatMap((m) => nodes[m]!.inputs.map((r) => r.value)).filter((v) => !inside.has(v) && !options.inlined?.has(v)));
    const readOutside = (v: number) => options.kept?.has(v) || (readers.get(v) ?? []).some((r) => !members.includes(r));
    return inputs.size + [...inside].filter(readOutside).length;
  };

  /** True when a path leaves the merged set and comes back into it through outside nodes. */
  const makesCycle = (members: readonly number[], merging: readonly FusionGroup[]): boolean => {
    const memberSet = new Set(members);
    const inSet = (u: FusionGroup | number) => (typeof u === "number" ? memberSet.has(u) : merging.includes(u));
    const minIndex = members[0]!;
    const stack = members.flatMap(producersOf).filter((p) => !inSet(unitOf(p)));
    const seen = new Set<FusionGroup | number>();
    while (stack.length > 0) {
      const u = unitOf(stack.pop()!);
      if (inSet(u)) return true;
      if (seen.has(u)) continue;
      seen.add(u);
      const unitMembers = typeof u === "number" ? [u] : u.members;
      // Everything on a path from the set to here comes after the set's first node (members ascend).
      if (unitMembers[unitMembers.length - 1]! < minIndex) continue;
      for (const m of unitMembers) for (const p of producersOf(m)) if (unitOf(p) !== u) stack.push(p);
    }
    return false;
  };

  return (members, merging) => {
    if (maxOperands < Infinity && operands(members) > maxOperands) return false;
    return options.placement === "in-order" || !makesCycle(members, merging);
  };
}
