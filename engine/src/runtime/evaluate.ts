import type { GraphEvaluator } from "../graph/passes/constant-folding.ts";
import { createSession } from "./session.ts";

/** Evaluates a graph with no inputs in a CPU session (what constant folding needs from the runtime). */
export const evaluateOnCpu: GraphEvaluator = async (graph) => {
  const session = await createSession(graph, { device: "cpu" });
  try {
    return await session.run({});
  } finally {
    session.dispose();
  }
};
