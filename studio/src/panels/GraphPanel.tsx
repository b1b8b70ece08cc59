import { useMemo, useState } from "react";
import { layoutGraph } from "../lib/graph-layout.ts";
import type { Availability, GraphView } from "../worker/protocol.ts";

const NODE_W = 210;
const NODE_H = 44;
const GAP_X = 26;
const GAP_Y = 34;

const DEVICE_COLORS: Record<string, string> = { cpu: "#4f8ef7", webgpu: "#4fc78e", "npu-sim": "#e0b84f" };

function shapeText(shape: readonly (number | string)[] | undefined): string {
  return shape ? `[${shape.join(", ")}]` : "";
}

export function GraphPanel({ graph, hasModel, onRequest }: { graph: Availability<GraphView> | undefined; hasModel: boolean; onRequest(): void }) {
  const [query, setQuery] = useState("");
  if (!graph) {
    return (
      <div className="panel">
        <div className="empty">
          {hasModel ? (
            <button onClick={onRequest}>Trace the model</button>
          ) : (
            <>The graph view shows the model handed to the studio with <code>setModel(model, exampleInput)</code>, once a run finishes.</>
          )}
        </div>
      </div>
    );
  }
  if (!graph.ok) {
    return (
      <div className="panel">
        <div className="unavailable" data-testid="graph-unavailable">
          <b>Graph view unavailable.</b> {graph.reason}
        </div>
      </div>
    );
  }
  return <GraphCanvas graph={graph.value} query={query} setQuery={setQuery} />;
}

function GraphCanvas({ graph, query, setQuery }: { graph: GraphView; query: string; setQuery(q: string): void }) {
  const layout = useMemo(() => layoutGraph(graph.nodes), [graph]);
  const pos = new Map(layout.placed.map((p) => [p.id, p]));
  const width = Math.max(400, layout.columns * (NODE_W + GAP_X) + GAP_X);
  const height = layout.layers * (NODE_H + GAP_Y) + GAP_Y;
  const maxInLayer = new Map<number, number>();
  layout.placed.forEach((p) => maxInLayer.set(p.layer, Math.max(maxInLayer.get(p.layer) ?? 0, p.column + 1)));
  const xy = (id: number) => {
    const p = pos.get(id)!;
    const count = maxInLayer.get(p.layer)!;
    const rowW = count * (NODE_W + GAP_X) - GAP_X;
    return { x: (width - rowW) / 2 + p.column * (NODE_W + GAP_X), y: GAP_Y / 2 + p.layer * (NODE_H + GAP_Y) };
  };
  const q = query.trim().toLowerCase();
  const matches = (n: GraphView["nodes"][number]) => !!q && (n.op.toLowerCase().includes(q) || (n.name ?? "").toLowerCase().includes(q));
  const matchCount = q ? graph.nodes.filter(matches).length : 0;
  const initNames = new Set(graph.initializers.map((i) => i.name));
  return (
    <div className="panel graph-panel">
      <div className="toolbar">
        <b>{graph.name}</b>
        <span className="muted">
          {graph.nodes.length} nodes · {graph.initializers.length} weights · in {graph.inputs.map((i) => shapeText(i.shape)).join(", ")} → out {graph.outputs.map((o) => shapeText(o.shape)).join(", ")}
        </span>
        <span className="spacer" />
        <input placeholder="search op or name" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="graph-search" />
        {q && <span className="muted">{matchCount} found</span>}
      </div>
      {graph.note && (
        <div className="banner" data-testid="graph-note">
          {graph.note}
        </div>
      )}
      <div className="graph-scroll">
        <svg width={width} height={height} data-testid="graph-svg">
          {layout.edges.map(([a, b], i) => {
            const pa = xy(a);
            const pb = xy(b);
            const x1 = pa.x + NODE_W / 2;
            const y1 = pa.y + NODE_H;
            const x2 = pb.x + NODE_W / 2;
            const y2 = pb.y;
            return <path key={i} className="edge" d={`M${x1},${y1} C${x1},${y1 + GAP_Y / 2} ${x2},${y2 - GAP_Y / 2} ${x2},${y2}`} />;
          })}
          {graph.nodes.map((n) => {
            const { x, y } = xy(n.id);
            const out = graph.values[n.outputs[0] ?? ""];
            const weights = n.inputs.filter((i) => initNames.has(i)).length;
            const hit = matches(n);
            return (
              <g key={n.id} className={`node${hit ? " hit" : ""}${q && !hit ? " dim" : ""}`} transform={`translate(${x},${y})`}>
                <title>
                  {`${n.op}${n.name ? ` (${n.name})` : ""}\ninputs: ${n.inputs.join(", ")}\noutputs: ${n.outputs.join(", ")}${Object.keys(n.attrs).length ? `\n${Object.entries(n.attrs).map(([k, v]) => `${k}=${v}`).join("\n")}` : ""}${n.fused ? `\nfused: ${n.fused.join(" → ")}` : ""}`}
                </title>
                <rect width={NODE_W} height={NODE_H} rx={6} />
                <rect width={5} height={NODE_H} rx={2} fill={DEVICE_COLORS[n.device ?? ""] ?? "var(--muted)"} />
                <text x={12} y={17} className="node-op">
                  {n.fused ? `⚡ ${n.op}` : n.op}
                  {weights ? <tspan className="node-w"> +{weights}w</tspan> : null}
                </text>
                <text x={12} y={34} className="node-shape">
                  {out ? `${out.dtype} ${shapeText(out.shape)}` : n.outputs[0]}
                  {n.device ? ` · ${n.device}` : ""}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </div>
  );
}
