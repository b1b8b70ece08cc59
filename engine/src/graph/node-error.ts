import { PolychipError, ShapeError } from "@polychip/hal";
import type { GraphNode } from "./ir.ts";

/** Names a node the way printGraph shows it: `node 4 (conv2d → %5)`. */
export function describeNode(index: number, node: GraphNode): string {
  const label = node.name ? ` '${node.name}'` : "";
  return `node ${index} (${node.op}${label} → ${node.outputs.map((o) => `%${o}`).join(", ")})`;
}

/**
 * The same error with the node it happened in prefixed to its message. Polychip errors keep their
 * class, so callers still tell a ShapeError from a DTypeError; anything else (a bug, or attributes of
 * the wrong type that an op's checks did not expect) becomes a ShapeError.
 */
export function atNode(err: unknown, index: number, node: GraphNode): Error {
  const where = describeNode(index, node);
  if (err instanceof PolychipError) {
    if (err.message.startsWith("node ")) return err;
    const Ctor = err.constructor as new (message: string, cause?: unknown) => PolychipError;
    const wrapped = new Ctor(`${where}: ${err.message}`, (err as { cause?: unknown }).cause ?? err);
    return wrapped;
  }
  return new ShapeError(`${where}: invalid node (${(err as Error)?.message ?? String(err)})`);
}
