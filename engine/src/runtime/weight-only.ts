import { getOp } from "@polychip/hal";
import { isStructuralOp, type GraphNode } from "../graph/ir.ts";

/**
 * Bytes of new values a session may hold from computing weight-only nodes at load (a weight the
 * model stores quantized and dequantizes in the graph): past this they run every time, as
 * written, so a large quantized model does not silently hold its weights again at full width.
 */
export const WEIGHT_ONLY_LIMIT = 64 * 2 ** 20;

/**
 * Whether `node` reads only values the session holds from load (initializers, constants, earlier
 * weight-only nodes), so that every run would compute the same outputs: a structural node also
 * needs its size arguments on the host. A constant, a node with no inputs and a random op are not.
 */
export function readsOnlyHeld(node: GraphNode, held: ReadonlyMap<string, unknown>, hostValues: ReadonlyMap<string, unknown>): boolean {
  if (node.op === "constant" || node.inputs.every((name) => name === "")) return false;
  const structural = isStructuralOp(node.op);
  if (!structural && getOp(node.op).family === "random") return false;
  return node.inputs.every((name, k) => name === "" || (held.has(name) && (k === 0 || !structural || hostValues.has(name))));
}

/**
 * What a weight-only node computes, as a key sessions of one model can share its results by: its
 * op, attrs and the keys of its inputs (undefined when an input has none, or its attrs cannot be written).
 */
export function weightOnlyKey(device: string, node: GraphNode, inputKeys: readonly (string | undefined)[]): string | undefined {
  if (inputKeys.some((k) => k === undefined)) return undefined;
  try {
    return `${device}|${node.op}|${JSON.stringify(node.attrs)}|${node.outputs.length}|${inputKeys.join(",")}`;
  } catch {
    return undefined;
  }
}
