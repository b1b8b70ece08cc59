import { OnnxSession } from "../session.ts";
import { buildModel, type NodeSpec } from "./model-builder.ts";
import { expectLikeOnnxruntime } from "./onnxruntime.ts";

/** What the ai.onnx.ml tests share: one node run on Polychip and onnxruntime-node, random rows and trees. */

export const ML = "ai.onnx.ml";

export interface Case {
  node: Omit<NodeSpec, "inputs" | "outputs" | "domain">;
  outputs: { name: string; type: "float32" | "int64" }[];
  x: number[][];
  mlOpset?: number;
  device?: string;
  atol?: number;
}

export async function check({ node, outputs, x, mlOpset = 3, device = "cpu", atol = 1e-5 }: Case): Promise<void> {
  const shape = [x.length, x[0]!.length];
  const model = buildModel({
    opset: mlOpset >= 5 ? 21 : 17,
    domains: { [ML]: mlOpset },
    inputs: [{ name: "X", type: "float32", shape }],
    outputs,
    nodes: [{ ...node, inputs: ["X"], outputs: outputs.map((o) => o.name), domain: ML }],
  });
  const data = Float32Array.from(x.flat());
  const session = await OnnxSession.create(model, { device });
  const got = await session.run({ X: { data, shape, dtype: "float32" } });
  session.dispose();
  await expectLikeOnnxruntime(model, { X: { data, shape, type: "float32" } }, got, atol);
}

/** A deterministic generator (xorshift), so the random trees are the same every run. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export const rows = (n: number, f: number, seed: number, nanEvery = 0) => {
  const r = random(seed);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: f }, (_, j) => (nanEvery && (i * f + j) % nanEvery === 0 ? Number.NaN : Math.round((r() * 8 - 4) * 4) / 4)),
  );
};

/** Which targets leaves vote for, how often, and whether weights may be negative. */
export interface VoteShape {
  voteFor?: readonly number[];
  chance?: number;
  positive?: boolean;
}

/** Random trees in the opset-1–4 layout: every node's mode, feature and threshold drawn, leaves voting for targets. */
export function legacyTrees(seed: number, trees: number, depth: number, targets: number, votesPrefix: "target" | "class", shape: VoteShape = {}) {
  const { voteFor, chance = 0.7, positive = false } = shape;
  const r = random(seed);
  const modes = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"];
  const a = {
    nodes_treeids: [] as number[],
    nodes_nodeids: [] as number[],
    nodes_featureids: [] as number[],
    nodes_modes: [] as string[],
    nodes_values: [] as number[],
    nodes_truenodeids: [] as number[],
    nodes_falsenodeids: [] as number[],
    nodes_missing_value_tracks_true: [] as number[],
    votes: { treeids: [] as number[], nodeids: [] as number[], ids: [] as number[], weights: [] as number[] },
  };
  for (let t = 0; t < trees; t++) {
    let next = 0;
    const grow = (level: number): number => {
      const id = next++;
      const at = a.nodes_treeids.length;
      a.nodes_treeids.push(t);
      a.nodes_nodeids.push(id);
      const leaf = level === depth || (level > 0 && r() < 0.2);
      a.nodes_featureids.push(leaf ? 0 : Math.floor(r() * 5));
      a.nodes_modes.push(leaf ? "LEAF" : modes[Math.floor(r() * modes.length)]!);
      a.nodes_values.push(leaf ? 0 : Math.round((r() * 6 - 3) * 4) / 4);
      a.nodes_missing_value_tracks_true.push(r() < 0.5 ? 1 : 0);
      a.nodes_truenodeids.push(0);
      a.nodes_falsenodeids.push(0);
      if (leaf) {
        for (let k = 0; k < targets; k++)
          if (r() < chance && (!voteFor || voteFor.includes(k))) {
            a.votes.treeids.push(t);
            a.votes.nodeids.push(id);
            a.votes.ids.push(k);
            const w = Math.round((r() * 4 - 2) * 8) / 8;
            a.votes.weights.push(positive ? Math.abs(w) : w);
          }
        return id;
      }
      a.nodes_truenodeids[at] = grow(level + 1);
      a.nodes_falsenodeids[at] = grow(level + 1);
      return id;
    };
    grow(0);
  }
  const { votes, nodes_modes, nodes_values, ...ints } = a;
  return {
    ...ints,
    nodes_modes: { strings: nodes_modes },
    nodes_values: { floats: nodes_values },
    [`${votesPrefix}_treeids`]: votes.treeids,
    [`${votesPrefix}_nodeids`]: votes.nodeids,
    [`${votesPrefix}_ids`]: votes.ids,
    [`${votesPrefix}_weights`]: { floats: votes.weights },
  };
}

/**
 * A random SVC (SVMClassifier with support vectors) over 4 features: `perClass` vectors per class,
 * labels 5, 3, 1, ...; with `probabilities`, random prob_a (negative, as Platt fits them) and prob_b.
 */
export function randomSvc(draw: (n: number) => number[], perClass: number[], kernel: Record<string, unknown>, post_transform: string, probabilities = false) {
  const classes = perClass.length;
  const vectors = perClass.reduce((a, b) => a + b, 0);
  const pairs = (classes * (classes - 1)) / 2;
  return {
    op: "SVMClassifier",
    attrs: {
      ...(kernel as NonNullable<NodeSpec["attrs"]>),
      vectors_per_class: perClass,
      support_vectors: { floats: draw(vectors * 4) },
      coefficients: { floats: draw((classes - 1) * vectors) },
      rho: { floats: draw(pairs) },
      ...(probabilities ? { prob_a: { floats: draw(pairs).map((v) => -Math.abs(v) - 0.5) }, prob_b: { floats: draw(pairs).map((v) => v / 4) } } : {}),
      classlabels_ints: Array.from({ length: classes }, (_, k) => 5 - 2 * k),
      post_transform,
    },
  };
}
