import type { FusionGroup, GroupingNode, Placement } from "./group.ts";

/** A node left as it is (its index) or a group run as one kernel. */
export type Unit = number | FusionGroup;

/**
 * The order to run the nodes and groups in. "in-order": each group at its last member. "reorderable":
 * units in the order of their last node, each after the units it reads (depth first), so a graph
 * without groups keeps its order; groupNodes made no cycle, so one always exists.
 */
export function orderUnits(nodes: readonly GroupingNode[], groups: readonly FusionGroup[], placement: Placement): Unit[] {
  const groupOf = new Map<number, FusionGroup>();
  for (const g of groups) for (const m of g.members) groupOf.set(m, g);
  const unitOf = (i: number): Unit => groupOf.get(i) ?? i;
  const last = (u: Unit) => (typeof u === "number" ? u : u.members.at(-1)!);
  const units = nodes.map((_, i) => unitOf(i)).filter((u, i) => last(u) === i);
  if (placement === "in-order") return units;
  const producer = new Map<number, number>();
  nodes.forEach((n, i) => n.outputs.forEach((v) => producer.set(v, i)));
  const done = new Set<Unit>();
  const open = new Set<Unit>();
  const out: Unit[] = [];
  for (const unit of units) {
    const stack: [Unit, boolean][] = [[unit, false]];
    while (stack.length > 0) {
      const [u, expanded] = stack.pop()!;
      if (done.has(u)) continue;
      if (expanded) {
        done.add(u);
        out.push(u);
        continue;
      }
      if (open.has(u)) throw new Error(`fusion: the grouped nodes would have a cycle through node ${last(u)} (a bug in groupNodes)`);
      open.add(u);
      stack.push([u, true]);
      for (const m of typeof u === "number" ? [u] : u.members) {
        for (const r of nodes[m]!.inputs) {
          const p = producer.get(r.value);
          if (p !== undefined && unitOf(p) !== u && !done.has(unitOf(p))) stack.push([unitOf(p), false]);
        }
      }
    }
  }
  return out;
}
