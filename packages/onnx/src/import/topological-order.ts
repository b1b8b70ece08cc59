import { FormatError } from "@polychip/hal";
import type { NodeProto } from "../proto/types.ts";

/**
 * The graph's nodes, each after the nodes producing its inputs, with their indices in the file.
 * ONNX requires that order, but real exports break it (a float16 converter appends the Cast of the
 * graph input after the nodes reading it) and onnxruntime sorts such graphs itself. A graph already
 * in order keeps it; a cycle is an error naming a node on it. Names no node here produces (inputs,
 * initializers, an enclosing graph's values) are not constraints.
 */
export function topologicalOrder(nodes: readonly NodeProto[], where: string): [number, NodeProto][] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && !producer.has(o) && producer.set(o, i)));
  const done = new Uint8Array(nodes.length);
  const inOrder = nodes.every((n, i) => {
    const ready = (n.input ?? []).every((v) => !v || !producer.has(v) || done[producer.get(v)!] === 1);
    done[i] = 1;
    return ready;
  });
  if (inOrder) return [...nodes.entries()];
  const state = new Uint8Array(nodes.length); // 0 unvisited, 1 waiting for its producers, 2 placed
  const order: [number, NodeProto][] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root]) continue;
    state[root] = 1;
    const stack: [node: number, nextInput: number][] = [[root, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [i, k] = top;
      const inputs = nodes[i]!.input ?? [];
      if (k === inputs.length) {
        stack.pop();
        state[i] = 2;
        order.push([i, nodes[i]!]);
        continue;
      }
      top[1]++;
      const p = inputs[k] ? producer.get(inputs[k]) : undefined;
      if (p === undefined || state[p] === 2) continue;
      if (state[p] === 1) {
        const n = nodes[p]!;
        throw new FormatError(`${where}: the nodes form a cycle: node '${n.name || n.opType}' (#${p}) depends on its own output '${inputs[k]}'`);
      }
      state[p] = 1;
      stack.push([p, 0]);
    }
  }
  return order;
}
