import assert from "node:assert/strict";
import { test } from "node:test";
import { groupNodes, MAX_GROUP_MEMBERS, type GroupingNode, type Placement } from "./group.ts";
import { orderUnits } from "./order.ts";

/** A node reading values `inputs` (plainly) and making value `output`; key "s" unless given (null: never a member). */
const n = (inputs: number[], output: number, key: string | null = "s", epilogue?: string): GroupingNode => ({
  key: key ?? undefined,
  epilogue,
  inputs: inputs.map((value) => ({ value, plain: true })),
  outputs: [output],
});
const members = (nodes: GroupingNode[], placement: Placement, maxOperands?: number) => groupNodes(nodes, { placement, maxOperands }).map((g) => g.members);

// exp(x=0) -> 1; reduce(1) -> 2 (no key); neg(1) -> 3; add(3, 2) -> 4
const readOutsideMidway = [n([0], 1), n([1], 2, null), n([1], 3), n([3, 2], 4)];

test("in order, a node outside the group that reads it ends the group", () => {
  assert.deepEqual(members(readOutsideMidway, "in-order"), [[2, 3]]);
});

test("reorderable, the group grows past an outside reader but never into a cycle", () => {
  assert.deepEqual(members(readOutsideMidway, "reorderable"), [[0, 2]]);
  const units = orderUnits(readOutsideMidway, groupNodes(readOutsideMidway, { placement: "reorderable" }), "reorderable");
  assert.deepEqual(
    units.map((u) => (typeof u === "number" ? u : u.members.join("+"))),
    ["0+2", 1, 3],
  );
});

test("a node joins the groups of all the nodes it reads that have its key and are read plainly", () => {
  const nodes = [
    n([0], 1),
    n([0], 2),
    n([0], 3, "t"),
    n([1, 2, 3], 4),
    {
      ...n([4, 2], 5),
      inputs: [
        { value: 4, plain: true },
        { value: 2, plain: false },
      ],
    },
  ];
  assert.deepEqual(members(nodes, "in-order"), [[0, 1, 3]]);
});

test("a GEMM heads a group that is joined first, and a group holds one GEMM", () => {
  const nodes = [n([0], 1), n([9], 2, "s", "matmulEpilogue"), n([8], 3, "s", "matmulEpilogue"), n([1, 2, 3], 4)];
  const [g] = groupNodes(nodes, { placement: "in-order" });
  assert.deepEqual([g!.members, g!.head, g!.epilogue], [[0, 1, 3], 1, "matmulEpilogue"]);
});

test("maxOperands refuses a join that needs more inputs plus outputs", () => {
  const chain = [n([0, 1], 4), n([4, 2], 5), n([5, 3], 6)];
  assert.deepEqual(members(chain, "reorderable"), [[0, 1, 2]]);
  // With value 6 kept, the whole chain would have 4 inputs and 1 output.
  assert.deepEqual(
    groupNodes(chain, { placement: "reorderable", maxOperands: 4, kept: new Set([6]) }).map((g) => g.members),
    [[0, 1]],
  );
});

test("a long elementwise chain is cut into groups of at most MAX_GROUP_MEMBERS consecutive nodes", () => {
  const chain = Array.from({ length: 3 * MAX_GROUP_MEMBERS + 5 }, (_, i) => n([i], i + 1));
  for (const placement of ["in-order", "reorderable"] as const) {
    const groups = members(chain, placement);
    assert.deepEqual(
      groups.map((g) => g.length),
      [MAX_GROUP_MEMBERS, MAX_GROUP_MEMBERS, MAX_GROUP_MEMBERS, 5],
      placement,
    );
    assert.deepEqual(
      groups.flat(),
      chain.map((_, i) => i),
      `${placement}: every node once, in order`,
    );
  }
});
