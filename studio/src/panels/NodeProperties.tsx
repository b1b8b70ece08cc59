import type { GraphView } from "../worker/protocol.ts";
import { WeightStatsView } from "./WeightStatsView.tsx";

type Node = GraphView["nodes"][number];

function valueRow(graph: GraphView, name: string, weights: ReadonlySet<string>) {
  const v = graph.values[name];
  return (
    <tr key={name}>
      <td className="mono" title={name}>
        {name}
      </td>
      <td className="mono">{v ? `${v.dtype}[${v.shape.join(", ")}]` : "?"}</td>
      <td className="muted">{weights.has(name) ? "weight" : ""}</td>
    </tr>
  );
}

/** What a graph node is: op, name, device, attributes, and its inputs and outputs with shapes and dtypes. */
export function NodeProperties({ graph, node, onClose }: { graph: GraphView; node: Node; onClose(): void }) {
  const weights = new Set(graph.initializers.map((i) => i.name));
  const attrs = Object.entries(node.attrs);
  return (
    <aside className="node-properties" aria-label={`Properties of ${node.op}`} data-testid="node-properties">
      <div className="toolbar">
        <h3>{node.op}</h3>
        <span className="spacer" />
        <button className="small" onClick={onClose} aria-label="Close the properties">
          Close
        </button>
      </div>
      <dl className="node-facts">
        {node.name && (
          <>
            <dt>name</dt>
            <dd className="mono">{node.name}</dd>
          </>
        )}
        {node.device && (
          <>
            <dt>device</dt>
            <dd>{node.device}</dd>
          </>
        )}
        {node.fused && (
          <>
            <dt>fused</dt>
            <dd className="mono" data-testid="node-fused-ops">
              {node.fused.join(" → ")}
            </dd>
          </>
        )}
        {node.members && (
          <>
            <dt>replaces</dt>
            <dd>{node.members.length} nodes of the unfused graph</dd>
          </>
        )}
      </dl>
      <h4>Attributes</h4>
      {attrs.length ? (
        <table className="op-table" data-testid="node-attributes">
          <tbody>
            {attrs.map(([k, v]) => (
              <tr key={k}>
                <td className="mono" title={k}>
                  {k}
                </td>
                <td className="mono">{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">none</p>
      )}
      <h4>Inputs</h4>
      <table className="op-table" data-testid="node-inputs">
        <tbody>{node.inputs.map((n) => valueRow(graph, n, weights))}</tbody>
      </table>
      {node.inputs.flatMap((name) => {
        const stats = graph.initializers.find((i) => i.name === name)?.stats;
        return stats ? [<WeightStatsView key={name} name={name} stats={stats} />] : [];
      })}
      <h4>Outputs</h4>
      <table className="op-table" data-testid="node-outputs">
        <tbody>{node.outputs.map((n) => valueRow(graph, n, weights))}</tbody>
      </table>
    </aside>
  );
}
