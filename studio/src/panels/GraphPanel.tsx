import { useMemo, useRef, useState } from "react";
import { NodeProperties } from "./NodeProperties.tsx";
import { FilePickerButton } from "./FilePickerButton.tsx";
import { layoutGraph } from "../lib/graph-layout.ts";
import { outlineRects } from "../lib/fused-outline.ts";
import { standaloneSvg, svgToPng } from "../lib/graph-export.ts";
import { download } from "../lib/download.ts";
import type { Availability, GraphView } from "../worker/protocol.ts";

const NODE_W = 210;
const NODE_H = 44;
const GAP_X = 26;
const GAP_Y = 34;
/** Room around a fused group's nodes: its label sits in the top margin. */
const OUTLINE_PAD = { top: 14, side: 7 };

const DEVICE_COLORS: Record<string, string> = { cpu: "#4f8ef7", webgpu: "#4fc78e", "npu-sim": "#e0b84f" };

function shapeText(shape: readonly (number | string)[] | undefined): string {
  return shape ? `[${shape.join(", ")}]` : "";
}

interface Props {
  graph: Availability<GraphView> | undefined;
  hasModel: boolean;
  /** The model's traced graph without a name, else a graph the run showed. */
  onRequest(name?: string): void;
  /** Graphs the run handed to showGraph() (a deployed int8 graph). */
  shownGraphs: string[];
  /** Model files chosen here open in this view. */
  onFiles(files: FileList): void;
}

/** The chooser's value for the model handed to setModel. */
const MODEL = "\u0000model";

export function GraphPanel({ graph, hasModel, onRequest, onFiles, shownGraphs }: Props) {
  const [query, setQuery] = useState("");
  const [source, setSource] = useState<string | undefined>();
  const chosen = source ?? (hasModel ? MODEL : shownGraphs[0]);
  const open = (
    <>
      {shownGraphs.length > 0 && (
        <select
          aria-label="Graph to show"
          data-testid="graph-choice"
          value={chosen}
          onChange={(e) => {
            setSource(e.target.value);
            onRequest(e.target.value === MODEL ? undefined : e.target.value);
          }}
        >
          {hasModel && <option value={MODEL}>model (traced)</option>}
          {shownGraphs.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      )}
      <FilePickerButton label="Open .onnx / .pcm…" accept=".onnx,.pcm" onFiles={onFiles} testId="pick-graph-model" />
    </>
  );
  if (!graph) {
    return (
      <div className="panel">
        <div className="empty">
          {hasModel ? (
            <button onClick={() => onRequest()}>Trace the model</button>
          ) : (
            <>
              The graph view shows the model handed to the studio with <code>setModel(model, exampleInput)</code>, once a run finishes.
            </>
          )}
          <p>Or open a model file (drop it on this view, or choose one): {open}</p>
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
        <div className="toolbar">{open}</div>
      </div>
    );
  }
  return <GraphCanvas graph={graph.value} query={query} setQuery={setQuery} open={open} />;
}

function GraphCanvas({ graph, query, setQuery, open }: { graph: GraphView; query: string; setQuery(q: string): void; open: React.ReactNode }) {
  const [showFused, setShowFused] = useState(false);
  const fusedGroups = graph.fused.ok ? graph.fused.value.groups : 0;
  const nodes = graph.nodes;
  // Fused kernels are outlined over the graph as it was written, around the nodes each replaced.
  const groups = showFused && graph.fused.ok ? graph.fused.value.nodes.filter((n) => n.members?.length) : [];
  const layout = useMemo(() => layoutGraph(nodes), [nodes]);
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
  const matchCount = q ? nodes.filter(matches).length : 0;
  const initNames = new Set(graph.initializers.map((i) => i.name));
  const [selected, setSelected] = useState<number | undefined>();
  const [view, setView] = useState({ x: 0, y: 0, k: 1 });
  const drag = useRef<{ x: number; y: number; view: typeof view } | undefined>(undefined);
  const svgRef = useRef<SVGSVGElement | null>(null);
  const fileBase = (graph.name.replace(/\.(onnx|pcm)$/i, "").replace(/[^A-Za-z0-9_-]+/g, "-") || "model") + (showFused ? "-fused" : "");
  const exportAs = async (format: "svg" | "png") => {
    const svg = svgRef.current;
    if (!svg) return;
    const markup = standaloneSvg(svg, width, height, getComputedStyle(document.body).backgroundColor);
    if (format === "svg") download(`${fileBase}.svg`, markup, "image/svg+xml");
    else download(`${fileBase}.png`, await svgToPng(markup, width, height), "image/png");
  };
  const zoomBy = (factor: number, cx = 0, cy = 0) =>
    setView((v) => {
      const k = Math.min(4, Math.max(0.1, v.k * factor));
      // Keep the point under (cx, cy) where it is.
      return { k, x: cx - ((cx - v.x) * k) / v.k, y: cy - ((cy - v.y) * k) / v.k };
    });
  const [selectedGroup, setSelectedGroup] = useState<number | undefined>();
  const selectedNode = selectedGroup !== undefined ? groups.find((g) => g.id === selectedGroup) : selected === undefined ? undefined : nodes[selected];
  const select = (id: number | undefined, group?: boolean) => {
    setSelected(group ? undefined : id);
    setSelectedGroup(group ? id : undefined);
  };
  const rectOf = (id: number) => ({ ...xy(id), w: NODE_W, h: NODE_H });
  return (
    <div className="panel graph-panel">
      <div className="toolbar">
        <b>{graph.name}</b>
        <span className="muted">
          {nodes.length} nodes · {graph.initializers.length} weights · in {graph.inputs.map((i) => shapeText(i.shape)).join(", ")} → out{" "}
          {graph.outputs.map((o) => shapeText(o.shape)).join(", ")}
        </span>
        <span className="spacer" />
        {open}
        <label
          className="toggle"
          title={
            graph.fused.ok
              ? `Outline each group of ops a session on ${graph.fused.value.device} runs as one kernel: elementwise chains, a matmul or conv with the ops it stores through, a conv with its batch norm folded in`
              : graph.fused.reason
          }
        >
          <input
            type="checkbox"
            checked={showFused}
            disabled={!fusedGroups}
            data-testid="show-fused"
            onChange={(e) => {
              select(undefined);
              setShowFused(e.target.checked);
            }}
          />{" "}
          outline fused ({fusedGroups})
        </label>
        <input placeholder="search op or name" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="graph-search" />
        {q && <span className="muted">{matchCount} found</span>}
        <button className="small" onClick={() => void exportAs("svg")} data-testid="graph-export-svg">
          SVG
        </button>
        <button className="small" onClick={() => void exportAs("png")} data-testid="graph-export-png">
          PNG
        </button>
        <span role="group" aria-label="Zoom" className="zoom-buttons">
          <button className="small" onClick={() => zoomBy(1 / 1.25)} aria-label="Zoom out" data-testid="graph-zoom-out">
            −
          </button>
          <span className="mono" data-testid="graph-zoom">
            {Math.round(view.k * 100)}%
          </span>
          <button className="small" onClick={() => zoomBy(1.25)} aria-label="Zoom in" data-testid="graph-zoom-in">
            +
          </button>
          <button className="small" onClick={() => setView({ x: 0, y: 0, k: 1 })}>
            Reset
          </button>
        </span>
      </div>
      {graph.note && (
        <div className="banner" data-testid="graph-note">
          {graph.note}
        </div>
      )}
      <div className="graph-body">
        <div
          className="graph-scroll"
          onWheel={(e) => {
            if (!e.ctrlKey && !e.metaKey) return; // plain wheel scrolls; Ctrl/Cmd+wheel zooms at the pointer
            e.preventDefault();
            const r = e.currentTarget.getBoundingClientRect();
            zoomBy(e.deltaY > 0 ? 1 / 1.15 : 1.15, e.clientX - r.left + e.currentTarget.scrollLeft, e.clientY - r.top + e.currentTarget.scrollTop);
          }}
          onMouseDown={(e) => {
            if ((e.target as Element).closest(".node")) return;
            drag.current = { x: e.clientX, y: e.clientY, view };
          }}
          onMouseMove={(e) => {
            const d = drag.current;
            if (d) setView({ ...d.view, x: d.view.x + e.clientX - d.x, y: d.view.y + e.clientY - d.y });
          }}
          onMouseUp={() => (drag.current = undefined)}
          onMouseLeave={() => (drag.current = undefined)}
        >
          <svg ref={svgRef} width={Math.max(width, width * view.k + view.x)} height={Math.max(height, height * view.k + view.y)} data-testid="graph-svg">
            <g transform={`translate(${view.x},${view.y}) scale(${view.k})`} data-testid="graph-viewport">
              {layout.edges.map(([a, b], i) => {
                const pa = xy(a);
                const pb = xy(b);
                const x1 = pa.x + NODE_W / 2;
                const y1 = pa.y + NODE_H;
                const x2 = pb.x + NODE_W / 2;
                const y2 = pb.y;
                return <path key={i} className="edge" d={`M${x1},${y1} C${x1},${y1 + GAP_Y / 2} ${x2},${y2 - GAP_Y / 2} ${x2},${y2}`} />;
              })}
              {groups.map((g) => {
                const members = new Set(g.members);
                const boxes = outlineRects(
                  g.members!.map(rectOf),
                  nodes.filter((n) => !members.has(n.id)).map((n) => rectOf(n.id)),
                  OUTLINE_PAD,
                );
                const label = `⚡ fused: ${g.fused?.join(" → ")}`;
                return (
                  <g
                    key={`fused-${g.id}`}
                    className={`fused-outline${selectedGroup === g.id ? " selected" : ""}`}
                    role="button"
                    tabIndex={0}
                    aria-label={`${label}, one kernel over ${g.members!.length} nodes`}
                    data-fused={g.fused?.join(" ")}
                    data-members={g.members!.join(" ")}
                    onClick={() => select(g.id, true)}
                    onKeyDown={(e) => {
                      if (e.key === "Enter" || e.key === " ") {
                        e.preventDefault();
                        select(g.id, true);
                      }
                    }}
                  >
                    <title>{`${label}\nfuseElementwise runs these ${g.members!.length} nodes as one kernel`}</title>
                    {boxes.map((b, i) => (
                      <rect key={i} x={b.x} y={b.y} width={b.w} height={b.h} rx={9} />
                    ))}
                    <text x={boxes[0]!.x + 8} y={boxes[0]!.y + 10} className="fused-label">
                      {label}
                    </text>
                  </g>
                );
              })}
              {nodes.map((n) => {
                const { x, y } = xy(n.id);
                const out = graph.values[n.outputs[0] ?? ""];
                const weights = n.inputs.filter((i) => initNames.has(i)).length;
                const hit = matches(n);
                return (
                  <g
                    key={n.id}
                    className={`node${n.members ? " fused-group" : ""}${hit ? " hit" : ""}${q && !hit ? " dim" : ""}${selected === n.id ? " selected" : ""}`}
                    transform={`translate(${x},${y})`}
                    role="button"
                    tabIndex={0}
                    onClick={() => select(n.id)}
                    onKeyDown={(e) => {
                      if (e.key === "Enter" || e.key === " ") {
                        e.preventDefault();
                        select(n.id);
                      }
                    }}
                    data-node={n.id}
                    data-fused={n.members ? n.fused?.join(" ") : undefined}
                  >
                    <title>
                      {`${n.op}${n.name ? ` (${n.name})` : ""}\ninputs: ${n.inputs.join(", ")}\noutputs: ${n.outputs.join(", ")}${
                        Object.keys(n.attrs).length
                          ? `\n${Object.entries(n.attrs)
                              .map(([k, v]) => `${k}=${v}`)
                              .join("\n")}`
                          : ""
                      }${n.fused ? `\nfused: ${n.fused.join(" → ")}` : ""}`}
                    </title>
                    <rect width={NODE_W} height={NODE_H} rx={6} />
                    <rect width={5} height={NODE_H} rx={2} fill={DEVICE_COLORS[n.device ?? ""] ?? "var(--muted)"} />
                    <text x={12} y={17} className="node-op">
                      {n.members ? `⚡ fused · ${n.fused?.length ?? 0} ops` : n.fused ? `⚡ ${n.op}` : n.op}
                      {weights ? <tspan className="node-w"> +{weights}w</tspan> : null}
                    </text>
                    <text x={12} y={34} className="node-shape">
                      {n.members
                        ? `${n.fused?.join(" → ")} · ${n.members.length} nodes`
                        : `${out ? `${out.dtype} ${shapeText(out.shape)}` : n.outputs[0]}${n.device ? ` · ${n.device}` : ""}`}
                    </text>
                  </g>
                );
              })}
            </g>
          </svg>
        </div>
        {selectedNode && <NodeProperties graph={graph} node={selectedNode} onClose={() => select(undefined)} />}
      </div>
    </div>
  );
}
