import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { tensorValues } from "../../tensor.ts";
import { bin, output, type OpImporter } from "./helpers.ts";
import { oneClassTreeScores, twoClassTreeScores } from "./ml-binary.ts";
import { applyPostTransform, featureMatrix, integerLabels, postTransformOf, topLabels } from "./ml-scores.ts";

/**
 * Tree ensembles (ai.onnx.ml TreeEnsembleRegressor/Classifier, opsets 1–4, and TreeEnsemble,
 * opset 5) as dense tensor work every device runs: each split is a comparison of one gathered
 * feature column with its threshold; a leaf is reached when every split on its path went its way,
 * which is one matmul of the 0/1 outcomes with a ±1 path matrix compared with the path's count of
 * "true" turns (small integers, exact in float32); the leaves' votes are one more matmul (SUM,
 * AVERAGE) or a masked min/max. NaN features take the branch `missing_value_tracks_true` says.
 */

type Mode = "BRANCH_LEQ" | "BRANCH_LT" | "BRANCH_GTE" | "BRANCH_GT" | "BRANCH_EQ" | "BRANCH_NEQ" | "BRANCH_MEMBER";
const MODES: readonly Mode[] = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "BRANCH_MEMBER"];
const COMPARISON: Readonly<Record<Exclude<Mode, "BRANCH_MEMBER">, string>> = {
  BRANCH_LEQ: "lessEqual",
  BRANCH_LT: "less",
  BRANCH_GTE: "greaterEqual",
  BRANCH_GT: "greater",
  BRANCH_EQ: "equal",
  BRANCH_NEQ: "notEqual",
};

interface Split {
  feature: number;
  threshold: number;
  mode: Mode;
  nanGoesTrue: boolean;
  members?: number[];
}

/** One way through a tree to a leaf: the splits passed and which way, and the leaf's votes. */
interface Arrival {
  path: { split: number; wentTrue: boolean }[];
  votes: { target: number; weight: number }[];
}

interface Ensemble {
  splits: Split[];
  arrivals: Arrival[];
  trees: number;
}

type Aggregate = "SUM" | "AVERAGE" | "MIN" | "MAX";

/** A float list given either as `name` (floats) or `name_as_tensor` (a double tensor). */
function floatsOrTensor(ctx: ImportContext, node: OnnxNode, name: string): number[] | undefined {
  const t = node.attrs.tensor(`${name}_as_tensor`);
  if (t) return Array.from(tensorValues(t, `${ctx.where()}: ${name}_as_tensor`).values);
  return node.attrs.floats(name);
}

function sameLengths(ctx: ImportContext, lists: Record<string, readonly unknown[]>): void {
  const entries = Object.entries(lists);
  const n = entries[0]![1].length;
  for (const [name, list] of entries)
    if (list.length !== n) throw new FormatError(`${ctx.where()}: ${name} has ${list.length} entries, ${entries[0]![0]} has ${n}`);
}

/** Opsets 1–4: nodes addressed by (tree id, node id), votes by the leaf's (tree id, node id). */
function legacyEnsemble(ctx: ImportContext, node: OnnxNode, votePrefix: "target" | "class"): Ensemble {
  const treeIds = node.attrs.ints("nodes_treeids", []);
  const nodeIds = node.attrs.ints("nodes_nodeids", []);
  const features = node.attrs.ints("nodes_featureids", []);
  const modes = node.attrs.strings("nodes_modes") ?? [];
  const values = floatsOrTensor(ctx, node, "nodes_values") ?? [];
  const trueIds = node.attrs.ints("nodes_truenodeids", []);
  const falseIds = node.attrs.ints("nodes_falsenodeids", []);
  const tracks = node.attrs.ints("nodes_missing_value_tracks_true", []);
  if (treeIds.length === 0) throw new FormatError(`${ctx.where()}: the ensemble has no nodes`);
  sameLengths(ctx, {
    nodes_treeids: treeIds,
    nodes_nodeids: nodeIds,
    nodes_featureids: features,
    nodes_modes: modes,
    nodes_truenodeids: trueIds,
    nodes_falsenodeids: falseIds,
  });
  if (values.length !== treeIds.length) throw new FormatError(`${ctx.where()}: nodes_values has ${values.length} entries for ${treeIds.length} nodes`);
  const key = (tree: number, id: number) => `${tree}/${id}`;
  const position = new Map<string, number>();
  treeIds.forEach((t, i) => {
    if (position.has(key(t, nodeIds[i]!))) throw new FormatError(`${ctx.where()}: node ${nodeIds[i]} of tree ${t} is listed twice`);
    position.set(key(t, nodeIds[i]!), i);
  });
  const votes = new Map<number, { target: number; weight: number }[]>();
  const voteTrees = node.attrs.ints(`${votePrefix}_treeids`, []);
  const voteNodes = node.attrs.ints(`${votePrefix}_nodeids`, []);
  const voteIds = node.attrs.ints(`${votePrefix}_ids`, []);
  const weights = floatsOrTensor(ctx, node, `${votePrefix}_weights`) ?? [];
  sameLengths(ctx, {
    [`${votePrefix}_treeids`]: voteTrees,
    [`${votePrefix}_nodeids`]: voteNodes,
    [`${votePrefix}_ids`]: voteIds,
    [`${votePrefix}_weights`]: weights,
  });
  voteTrees.forEach((t, i) => {
    const at = position.get(key(t, voteNodes[i]!));
    if (at === undefined) throw new FormatError(`${ctx.where()}: a vote names node ${voteNodes[i]} of tree ${t}, which does not exist`);
    votes.set(at, [...(votes.get(at) ?? []), { target: voteIds[i]!, weight: weights[i]! }]);
  });
  const splits: Split[] = [];
  const splitOf = new Map<number, number>();
  const arrivals: Arrival[] = [];
  const roots = [...new Set(treeIds)];
  const walk = (at: number, path: Arrival["path"], depth: number): void => {
    if (depth > treeIds.length) throw new FormatError(`${ctx.where()}: tree ${treeIds[at]} has a cycle`);
    const mode = modes[at]!;
    if (mode === "LEAF") {
      arrivals.push({ path, votes: votes.get(at) ?? [] });
      return;
    }
    if (!MODES.includes(mode as Mode) || mode === "BRANCH_MEMBER") throw new UnsupportedOpError(`${ctx.where()}: unknown node mode '${mode}'`);
    let split = splitOf.get(at);
    if (split === undefined) {
      split = splits.push({ feature: features[at]!, threshold: values[at]!, mode: mode as Mode, nanGoesTrue: tracks[at] === 1 }) - 1;
      splitOf.set(at, split);
    }
    for (const [child, wentTrue] of [
      [trueIds[at]!, true],
      [falseIds[at]!, false],
    ] as const) {
      const next = position.get(key(treeIds[at]!, child));
      if (next === undefined) throw new FormatError(`${ctx.where()}: node ${nodeIds[at]} of tree ${treeIds[at]} points to node ${child}, which does not exist`);
      walk(next, [...path, { split, wentTrue }], depth + 1);
    }
  };
  for (const tree of roots) {
    const ids = treeIds.flatMap((t, i) => (t === tree ? [i] : []));
    // The root is the node no other node of its tree points to.
    const pointed = new Set(ids.flatMap((i) => (modes[i] === "LEAF" ? [] : [trueIds[i]!, falseIds[i]!])));
    const root = ids.filter((i) => !pointed.has(nodeIds[i]!));
    if (root.length !== 1) throw new FormatError(`${ctx.where()}: tree ${tree} has ${root.length} roots`);
    walk(root[0]!, [], 0);
  }
  return { splits, arrivals, trees: roots.length };
}

/** Opset 5's TreeEnsemble: interior nodes and leaves in separate lists, roots given. */
function treeEnsemble(ctx: ImportContext, node: OnnxNode): Ensemble {
  const roots = node.attrs.ints("tree_roots", []);
  const features = node.attrs.ints("nodes_featureids", []);
  const modesTensor = node.attrs.tensor("nodes_modes");
  const splitsTensor = node.attrs.tensor("nodes_splits");
  if (!modesTensor || !splitsTensor) throw new FormatError(`${ctx.where()}: nodes_modes and nodes_splits are required`);
  const modes = Array.from(tensorValues(modesTensor, `${ctx.where()}: nodes_modes`).values);
  const thresholds = Array.from(tensorValues(splitsTensor, `${ctx.where()}: nodes_splits`).values);
  const trueIds = node.attrs.ints("nodes_truenodeids", []);
  const falseIds = node.attrs.ints("nodes_falsenodeids", []);
  const trueLeafs = node.attrs.ints("nodes_trueleafs", []);
  const falseLeafs = node.attrs.ints("nodes_falseleafs", []);
  const tracks = node.attrs.ints("nodes_missing_value_tracks_true", []);
  sameLengths(ctx, {
    nodes_featureids: features,
    nodes_modes: modes,
    nodes_splits: thresholds,
    nodes_truenodeids: trueIds,
    nodes_falsenodeids: falseIds,
    nodes_trueleafs: trueLeafs,
    nodes_falseleafs: falseLeafs,
  });
  const leafTargets = node.attrs.ints("leaf_targetids", []);
  const leafWeightsTensor = node.attrs.tensor("leaf_weights");
  if (!leafWeightsTensor) throw new FormatError(`${ctx.where()}: leaf_weights is required`);
  const leafWeights = Array.from(tensorValues(leafWeightsTensor, `${ctx.where()}: leaf_weights`).values);
  sameLengths(ctx, { leaf_targetids: leafTargets, leaf_weights: leafWeights });
  const membersTensor = node.attrs.tensor("membership_values");
  // One NaN-delimited set per BRANCH_MEMBER node, in node order.
  const memberSets: number[][] = [[]];
  for (const v of membersTensor ? tensorValues(membersTensor, `${ctx.where()}: membership_values`).values : []) {
    if (Number.isNaN(v)) memberSets.push([]);
    else memberSets.at(-1)!.push(v);
  }
  let memberIndex = 0;
  const splits: Split[] = modes.map((m, i) => {
    const mode = MODES[m];
    if (!mode) throw new UnsupportedOpError(`${ctx.where()}: unknown node mode ${m}`);
    return {
      feature: features[i]!,
      threshold: thresholds[i]!,
      mode,
      nanGoesTrue: tracks[i] === 1,
      ...(mode === "BRANCH_MEMBER" ? { members: memberSets[memberIndex++] ?? [] } : {}),
    };
  });
  const arrivals: Arrival[] = [];
  const leaf = (at: number, path: Arrival["path"]) => {
    if (at < 0 || at >= leafWeights.length) throw new FormatError(`${ctx.where()}: leaf ${at} does not exist (${leafWeights.length} leaves)`);
    arrivals.push({ path, votes: [{ target: leafTargets[at]!, weight: leafWeights[at]! }] });
  };
  const walk = (at: number, path: Arrival["path"]): void => {
    if (at < 0 || at >= splits.length) throw new FormatError(`${ctx.where()}: node ${at} does not exist (${splits.length} nodes)`);
    if (path.length > splits.length) throw new FormatError(`${ctx.where()}: a tree has a cycle through node ${at}`);
    for (const [child, isLeaf, wentTrue] of [
      [trueIds[at]!, trueLeafs[at] === 1, true],
      [falseIds[at]!, falseLeafs[at] === 1, false],
    ] as const) {
      const next = [...path, { split: at, wentTrue }];
      if (isLeaf) leaf(child, next);
      else walk(child, next);
    }
  };
  for (const root of roots) walk(root, []);
  return { splits, arrivals, trees: roots.length };
}

/** [N, S] float32 0/1: whether each split of each row goes to its true branch. */
function splitOutcomes(ctx: ImportContext, x: string, splits: readonly Split[], features: number | undefined): string {
  for (const s of splits)
    if (s.feature < 0 || (features !== undefined && s.feature >= features))
      throw new ShapeError(`${ctx.where()}: a split reads feature ${s.feature}, outside the input's ${features} features`);
  const columns = ctx.op("gather", [x, ctx.const(Int32Array.from(splits.map((s) => s.feature)), [splits.length], "int32")], { axis: 1 });
  const thresholds = ctx.const(Float32Array.from(splits.map((s) => s.threshold)), [1, splits.length], "float32");
  const mask = (keep: (s: Split) => boolean) => ctx.const(Uint8Array.from(splits.map((s) => (keep(s) ? 1 : 0))), [1, splits.length], "bool");
  let outcome: string | undefined;
  for (const mode of MODES) {
    if (!splits.some((s) => s.mode === mode)) continue;
    const test =
      mode === "BRANCH_MEMBER" ? memberTests(ctx, columns, splits) : bin(ctx, COMPARISON[mode as Exclude<Mode, "BRANCH_MEMBER">], columns, thresholds);
    outcome = outcome === undefined ? test : ctx.op("where", [mask((s) => s.mode === mode), test, outcome]);
  }
  if (splits.some((s) => s.nanGoesTrue))
    outcome = ctx.op("logicalOr", [outcome!, ctx.op("logicalAnd", [bin(ctx, "notEqual", columns, columns), mask((s) => s.nanGoesTrue)])]);
  return ctx.op("cast", [outcome!], { to: "float32" });
}

/** [N, S] bool: for each BRANCH_MEMBER split, whether its feature is one of its members (false elsewhere). */
function memberTests(ctx: ImportContext, columns: string, splits: readonly Split[]): string {
  const width = Math.max(1, ...splits.map((s) => s.members?.length ?? 0));
  // [1, S, width] members, padded with NaN (equal to nothing).
  const table = new Float32Array(splits.length * width).fill(Number.NaN);
  splits.forEach((s, i) => s.members?.forEach((m, k) => (table[i * width + k] = m)));
  const hits = bin(ctx, "equal", ctx.op("unsqueeze", [columns], { axes: [2] }), ctx.const(table, [1, splits.length, width], "float32"));
  const any = ctx.op("reduceMax", [ctx.op("cast", [hits], { to: "float32" })], { axes: [2], keepDims: false });
  return bin(ctx, "greater", any, ctx.scalar(0, "float32"));
}

/** [N, A] float32 0/1: which arrivals each row reaches (exactly one per tree). */
function arrivalsReached(ctx: ImportContext, x: string, ensemble: Ensemble, features: number | undefined): string {
  const { splits, arrivals } = ensemble;
  if (splits.length === 0) throw new UnsupportedOpError(`${ctx.where()}: an ensemble of single-leaf trees (no split at all) is not supported`);
  const paths = new Float32Array(splits.length * arrivals.length);
  const trueTurns = new Float32Array(arrivals.length);
  arrivals.forEach((a, j) => {
    for (const { split, wentTrue } of a.path) {
      paths[split * arrivals.length + j] = wentTrue ? 1 : -1;
      if (wentTrue) trueTurns[j]! += 1;
    }
  });
  const turns = ctx.op("matmul", [splitOutcomes(ctx, x, splits, features), ctx.const(paths, [splits.length, arrivals.length], "float32")]);
  return ctx.op("cast", [bin(ctx, "equal", turns, ctx.const(trueTurns, [1, arrivals.length], "float32"))], { to: "float32" });
}

/** [N, T] aggregated votes (before base values), and [N, T] bool: whether any reached leaf voted for each target. */
function aggregateVotes(ctx: ImportContext, reached: string, ensemble: Ensemble, targets: number, aggregate: Aggregate): { scores: string; voted: string } {
  const { arrivals } = ensemble;
  for (const a of arrivals)
    for (const v of a.votes)
      if (v.target < 0 || v.target >= targets) throw new ShapeError(`${ctx.where()}: a leaf votes for target ${v.target}, outside [0, ${targets})`);
  const sums = new Float32Array(arrivals.length * targets);
  const has = new Float32Array(arrivals.length * targets);
  const extreme = new Float32Array(arrivals.length * targets).fill(aggregate === "MIN" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
  arrivals.forEach((a, j) =>
    a.votes.forEach(({ target, weight }) => {
      const k = j * targets + target;
      sums[k]! += weight;
      has[k] = 1;
      extreme[k] = aggregate === "MIN" ? Math.min(extreme[k]!, weight) : Math.max(extreme[k]!, weight);
    }),
  );
  const voted = bin(ctx, "greater", ctx.op("matmul", [reached, ctx.const(has, [arrivals.length, targets], "float32")]), ctx.scalar(0, "float32"));
  if (aggregate === "SUM" || aggregate === "AVERAGE") {
    const total = ctx.op("matmul", [reached, ctx.const(sums, [arrivals.length, targets], "float32")]);
    return { scores: aggregate === "SUM" ? total : bin(ctx, "div", total, ctx.scalar(ensemble.trees, "float32")), voted };
  }
  // [N, A, T]: the reached arrivals' votes, ±∞ elsewhere; reduced over A; no vote gives 0.
  const none = ctx.scalar(aggregate === "MIN" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY, "float32");
  const isReached = bin(ctx, "greater", ctx.op("unsqueeze", [reached], { axes: [2] }), ctx.scalar(0, "float32"));
  const masked = ctx.op("where", [isReached, ctx.const(extreme, [1, arrivals.length, targets], "float32"), none]);
  const best = ctx.op(aggregate === "MIN" ? "reduceMin" : "reduceMax", [masked], { axes: [1], keepDims: false });
  return { scores: ctx.op("where", [voted, best, ctx.scalar(0, "float32")]), voted };
}

/** base_values: one per target added after aggregation (absent: none). */
function addBaseValues(ctx: ImportContext, node: OnnxNode, scores: string, targets: number): string {
  const base = floatsOrTensor(ctx, node, "base_values") ?? [];
  if (base.length === 0) return scores;
  if (base.length !== targets) throw new ShapeError(`${ctx.where()}: ${base.length} base_values for ${targets} targets (none or one per target)`);
  return bin(ctx, "add", scores, ctx.const(Float32Array.from(base), [1, targets], "float32"));
}

function aggregateOf(ctx: ImportContext, node: OnnxNode): Aggregate {
  const names: Aggregate[] = ["AVERAGE", "SUM", "MIN", "MAX"];
  const name = node.opType === "TreeEnsemble" ? names[node.attrs.int("aggregate_function", 1)] : node.attrs.string("aggregate_function", "SUM");
  if (!name || !names.includes(name as Aggregate)) throw new UnsupportedOpError(`${ctx.where()}: unknown aggregate_function '${String(name)}'`);
  return name as Aggregate;
}

const regressor =
  (read: (ctx: ImportContext, node: OnnxNode) => Ensemble): OpImporter =>
  (ctx, node) => {
    const { x, features } = featureMatrix(ctx, node);
    const ensemble = read(ctx, node);
    const targets = node.attrs.int("n_targets", 1);
    const transform = postTransformOf(ctx, node);
    const { scores } = aggregateVotes(ctx, arrivalsReached(ctx, x, ensemble, features), ensemble, targets, aggregateOf(ctx, node));
    // onnxruntime applies no post_transform but PROBIT to a single target (its FinalizeScores1); so does Polychip.
    const final = addBaseValues(ctx, node, scores, targets);
    ctx.op("identity", [targets === 1 ? final : applyPostTransform(ctx, final, transform)], {}, output(node));
  };

/**
 * TreeEnsembleClassifier: per-class sums of the reached leaves' votes plus base values; with three
 * or more classes the label is the best class among those that got a vote (onnxruntime leaves the
 * others out); one and two classes follow onnxruntime's binary rules (ml-binary.ts).
 */
const treeEnsembleClassifier: OpImporter = (ctx, node) => {
  const labels = integerLabels(ctx, node, "classlabels_int64s");
  const { x, features } = featureMatrix(ctx, node);
  const ensemble = legacyEnsemble(ctx, node, "class");
  const transform = postTransformOf(ctx, node);
  const base = floatsOrTensor(ctx, node, "base_values") ?? [];
  const reached = arrivalsReached(ctx, x, ensemble, features);
  const emit = ({ label, scores }: { label: string; scores: string }) => {
    ctx.op("identity", [label], {}, output(node, 0));
    ctx.op("identity", [scores], {}, output(node, 1));
  };
  if (labels.length <= 2 && base.length > 2)
    throw new ShapeError(`${ctx.where()}: ${base.length} base_values for a ${labels.length}-class TreeEnsembleClassifier (0, 1 or 2)`);
  if (labels.length === 1) {
    const { scores } = aggregateVotes(ctx, reached, firstVotesOnly(ctx, ensemble), 1, "SUM");
    return emit(oneClassTreeScores(ctx, scores, base, transform));
  }
  const { scores, voted } = aggregateVotes(ctx, reached, ensemble, labels.length, "SUM");
  if (labels.length === 2) {
    // onnxruntime reads these facts off the attributes, leaf or not.
    const oneClassVoted = new Set(node.attrs.ints("class_ids", [])).size === 1;
    if (base.length === 1 && !oneClassVoted)
      throw new UnsupportedOpError(
        `${ctx.where()}: a 2-class TreeEnsembleClassifier with votes for both classes and one base value is not supported (onnxruntime leaves the second score unwritten for some rows)`,
      );
    const allPositive = (floatsOrTensor(ctx, node, "class_weights") ?? []).every((w) => w >= 0);
    return emit(twoClassTreeScores(ctx, scores, voted, { base, oneClassVoted, allPositive, labels: [labels[0]!, labels[1]!], transform }));
  }
  const withBase = addBaseValues(ctx, node, scores, labels.length);
  emit({ label: topLabels(ctx, withBase, labels, base.length > 0 ? undefined : voted), scores: applyPostTransform(ctx, withBase, transform) });
};

/**
 * A one-class ensemble as onnxruntime scores it: each leaf adds its first weight, whatever class
 * it names; a leaf with no weight is undefined there and refused here.
 */
function firstVotesOnly(ctx: ImportContext, ensemble: Ensemble): Ensemble {
  const arrivals = ensemble.arrivals.map((a) => {
    const first = a.votes[0];
    if (!first) throw new UnsupportedOpError(`${ctx.where()}: a 1-class TreeEnsembleClassifier with a leaf that has no weight is not supported`);
    return { path: a.path, votes: [{ target: 0, weight: first.weight }] };
  });
  return { ...ensemble, arrivals };
}

export const ML_TREE_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  TreeEnsembleRegressor: regressor((ctx, node) => legacyEnsemble(ctx, node, "target")),
  TreeEnsembleClassifier: treeEnsembleClassifier,
  TreeEnsemble: regressor(treeEnsemble),
};
