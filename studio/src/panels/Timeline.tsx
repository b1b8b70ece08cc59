import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { ProfileEvent } from "@polychip/hal";
import type { ProfileRange } from "@polychip/engine";
import { DATA_TRACK, trackOf, type DataSpan, type StepSpan } from "../lib/chrome-trace.ts";
import { durationUnit, formatCount, formatMs, formatNumber } from "../lib/format-number.ts";
import { FloatingTooltip } from "./FloatingTooltip.tsx";

interface Props {
  events: readonly ProfileEvent[];
  /** Module and op ranges (host time), drawn as rows between the data lane and the device tracks. */
  ranges: readonly ProfileRange[];
  steps: readonly StepSpan[];
  /** Data loading, drawn on its own lane under the steps. */
  data: readonly DataSpan[];
  origin: number;
  /** Events of the op-table row the user picked: drawn on top, the others dimmed. */
  highlight?: (e: ProfileEvent) => boolean;
  selected: ProfileEvent | undefined;
  onSelect(e: ProfileEvent | undefined): void;
  /** The selected time range (ms from the origin), drawn over the lanes. */
  range?: [number, number];
  /** Called with the range the user drags out, or undefined when they clear it (Esc). */
  onRangeSelect?(range: [number, number] | undefined): void;
}

const LANE = 24;
const HEADER = 22;
const LABEL_W = 118;
const DATA_COLOR = "#2bb5a8";
/** Module rows drawn at most (a deeper module is drawn on the last one). */
const MAX_MODULE_ROWS = 6;

const CATEGORY_COLORS: Record<ProfileEvent["category"], string> = {
  kernel: "#4f8ef7",
  transfer: "#f0a030",
  fallback: "#e5484d",
  sync: "#8a8f98",
  compile: "#a371f7",
};

const nameColors = new Map<string, string>();

/** A stable colour per name (cached: the timeline asks for it once per span per draw). */
function hashColor(name: string, saturation: number, lightness: number): string {
  const key = `${saturation}/${lightness}/${name}`;
  let c = nameColors.get(key);
  if (!c) {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    nameColors.set(key, (c = `hsl(${h % 360} ${saturation}% ${lightness}%)`));
  }
  return c;
}

function colorOf(e: ProfileEvent): string {
  return e.category === "kernel" ? hashColor(e.name, 62, 55) : CATEGORY_COLORS[e.category];
}

const rangeColor = (r: ProfileRange) => (r.kind === "module" ? hashColor(r.name, 38, 42) : hashColor(r.name, 55, 38));

/** A module's own label: the last part of its path. */
const moduleLabel = (name: string) => name.slice(name.lastIndexOf("/") + 1);
/** The module row a range sits on: its path's depth. */
const moduleRow = (name: string) => Math.min(MAX_MODULE_ROWS - 1, name.split("/").length - 1);

type Lane =
  | { kind: "steps"; label: string }
  | { kind: "data"; label: string }
  | { kind: "module"; label: string; row: number }
  | { kind: "ops"; label: string }
  | { kind: "track"; label: string };

interface Palette {
  theme: string | undefined;
  fg: string;
  muted: string;
  grid: string;
}

/** Shortest view the keys and wheel zoom to: a microsecond is as deep as the clocks go. */
const MIN_SPAN = 0.001;

/**
 * Steps, data loading, module rows (one per nesting depth), ops and the kernels per device on a
 * canvas (tens of thousands of spans stay cheap): wheel zooms at the cursor, Shift+wheel or
 * Shift+drag pans, a drag selects a time range (its summary shows below), double-click shows
 * everything. With the focus on it: + and − zoom, ← and → pan, 0 shows everything, Esc clears the
 * range. Fallbacks are red and outlined.
 */
export function Timeline({ events, ranges, steps, data, origin, highlight, selected, onSelect, range, onRangeSelect }: Props) {
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const wrapRef = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(600);
  const [view, setView] = useState<[number, number] | undefined>();
  const [hover, setHover] = useState<{ e: ProfileEvent; clientX: number; clientY: number } | undefined>();
  const [spanHover, setSpanHover] = useState<{ name: string; what: string; start: number; end: number; clientX: number; clientY: number } | undefined>();
  const drag = useRef<{ x: number; view: [number, number]; pan: boolean; moved: boolean } | undefined>(undefined);
  const palette = useRef<Palette | undefined>(undefined);
  const tableId = useId();

  const tracks = useMemo(() => {
    const names = new Set<string>();
    for (const e of events) names.add(trackOf(e));
    return [...names].sort((a, b) => a.localeCompare(b));
  }, [events]);

  const lanes = useMemo<Lane[]>(() => {
    let moduleRows = 0;
    let ops = false;
    for (const r of ranges) {
      if (r.kind === "module") moduleRows = Math.max(moduleRows, moduleRow(r.name) + 1);
      else ops = true;
    }
    return [
      { kind: "steps", label: "steps" },
      ...(data.length ? [{ kind: "data" as const, label: DATA_TRACK }] : []),
      ...Array.from({ length: moduleRows }, (_, row) => ({ kind: "module" as const, label: row === 0 ? "modules" : `  depth ${row}`, row })),
      ...(ops ? [{ kind: "ops" as const, label: "ops" }] : []),
      ...tracks.map((t) => ({ kind: "track" as const, label: t })),
    ];
  }, [ranges, data.length, tracks]);

  const extent = useMemo<[number, number]>(() => {
    if (!events.length) return [0, 1];
    let lo = Infinity;
    let hi = -Infinity;
    for (const e of events) {
      lo = Math.min(lo, e.start);
      hi = Math.max(hi, e.start + e.duration);
    }
    for (const d of data) {
      lo = Math.min(lo, d.start);
      hi = Math.max(hi, d.end);
    }
    return [lo - origin, Math.max(hi - origin, lo - origin + MIN_SPAN)];
  }, [events, data, origin]);

  const highlighted = useMemo(() => (highlight ? events.filter(highlight) : []), [events, highlight]);
  const [v0, v1] = view ?? extent;
  const height = HEADER + LANE * lanes.length + 6;
  const plotW = Math.max(50, width - LABEL_W);
  const toX = (t: number) => LABEL_W + ((t - v0) / (v1 - v0)) * plotW;
  const timeAt = (x: number) => v0 + ((x - LABEL_W) / plotW) * (v1 - v0);

  /** Zooms by `k` (below 1: in) around time `at`. */
  const zoom = (k: number, at: number) => {
    if ((v1 - v0) * k < MIN_SPAN) return;
    setView([at - (at - v0) * k, at + (v1 - at) * k]);
  };
  const pan = (dt: number) => setView([v0 + dt, v1 + dt]);
  const chooseRange = (r: [number, number] | undefined) => onRangeSelect?.(r);

  useLayoutEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  // A wheel over the canvas zooms or pans it, never the page: React's wheel listener is passive.
  const wheel = useRef<(ev: WheelEvent) => void>(() => undefined);
  wheel.current = (ev: WheelEvent) => {
    ev.preventDefault();
    const r = canvasRef.current!.getBoundingClientRect();
    const sideways = ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY);
    if (sideways) {
      const delta = Math.abs(ev.deltaX) > Math.abs(ev.deltaY) ? ev.deltaX : ev.deltaY;
      pan((Math.sign(delta) * (v1 - v0)) / 10);
      return;
    }
    zoom(ev.deltaY > 0 ? 1.25 : 0.8, timeAt(Math.max(LABEL_W, ev.clientX - r.left)));
  };
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const listener = (ev: WheelEvent) => wheel.current(ev);
    canvas.addEventListener("wheel", listener, { passive: false });
    return () => canvas.removeEventListener("wheel", listener);
  }, []);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const dpr = window.devicePixelRatio || 1;
    // Resizing a canvas reallocates it: only when the size really changed.
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const theme = document.documentElement.dataset.theme;
    if (palette.current?.theme !== theme) {
      const css = getComputedStyle(canvas);
      palette.current = {
        theme,
        fg: css.getPropertyValue("--fg").trim() || "#ddd",
        muted: css.getPropertyValue("--muted").trim() || "#888",
        grid: css.getPropertyValue("--grid").trim() || "#333",
      };
    }
    const { fg, muted, grid } = palette.current!;
    ctx.clearRect(0, 0, width, height);
    ctx.font = "11px system-ui, sans-serif";
    // Time axis.
    ctx.fillStyle = muted;
    const span = v1 - v0;
    const stepMs = Math.pow(10, Math.floor(Math.log10(span / 6)));
    const tick = [1, 2, 5, 10].map((m) => m * stepMs).find((s) => span / s <= 8) ?? stepMs * 10;
    const axisUnit = durationUnit(tick);
    // Indexed, not accumulated: a tick far below float precision of v0 must not loop forever.
    for (let i = Math.ceil(v0 / tick), n = 0; i * tick <= v1 && n < 40; i++, n++) {
      const t = i * tick;
      const x = toX(t);
      ctx.fillStyle = grid;
      ctx.fillRect(x, HEADER - 4, 1, height - HEADER);
      ctx.fillStyle = muted;
      ctx.fillText(formatMs(t, axisUnit), x + 3, 12);
    }
    const laneY = (i: number) => HEADER + i * LANE;
    lanes.forEach((lane, i) => {
      ctx.fillStyle = lane.kind === "module" && lane.row > 0 ? muted : fg;
      ctx.fillText(lane.label, 8, laneY(i) + 15);
      if (lane.kind === "track") {
        ctx.fillStyle = grid;
        ctx.fillRect(LABEL_W, laneY(i), plotW, 1);
      }
    });
    const laneOf = new Map<string, number>();
    lanes.forEach((lane, i) => laneOf.set(lane.kind === "module" ? `module/${lane.row}` : lane.kind === "track" ? `track/${lane.label}` : lane.kind, i));
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_W, 0, plotW, height);
    ctx.clip();
    steps.forEach((s, i) => {
      const x0 = toX(s.start - origin);
      const x1 = toX(s.end - origin);
      if (x1 < LABEL_W || x0 > width) return;
      ctx.fillStyle = i % 2 ? "rgba(128,128,128,0.28)" : "rgba(128,128,128,0.16)";
      ctx.fillRect(Math.max(LABEL_W, x0), laneY(0) + 4, Math.max(1, x1 - Math.max(LABEL_W, x0)), LANE - 8);
      if (x1 - x0 > 30) {
        ctx.fillStyle = muted;
        ctx.fillText(String(s.step), Math.max(LABEL_W, x0) + 3, laneY(0) + 16);
      }
    });
    const dataLane = laneOf.get("data");
    if (dataLane !== undefined) {
      ctx.fillStyle = DATA_COLOR;
      for (const d of data) {
        const x0 = Math.max(LABEL_W, toX(d.start - origin));
        const x1 = toX(d.end - origin);
        if (x1 < LABEL_W || x0 > width) continue;
        ctx.fillRect(x0, laneY(dataLane) + 4, Math.max(1, x1 - x0), LANE - 8);
      }
    }
    // Spans narrower than a pixel are merged per pixel column and lane (the last one's colour
    // wins), so tens of thousands of tiny kernels cost one rectangle per pixel, not one each.
    const scale = plotW / (v1 - v0);
    const pixels = lanes.map(() => new Array<string | undefined>(Math.ceil(plotW) + 1));
    const drawSpan = (lane: number, start: number, duration: number, color: string, label: string | undefined, outline?: string) => {
      const s = start - origin;
      if (s > v1 || s + duration < v0) return;
      const x0 = LABEL_W + (s - v0) * scale;
      const w = duration * scale;
      if (w < 1 && !outline) {
        const px = Math.floor(x0 - LABEL_W);
        const column = pixels[lane]!;
        if (px >= 0 && px < column.length) column[px] = color;
        return;
      }
      const y = laneY(lane) + 4;
      ctx.fillStyle = color;
      ctx.fillRect(x0, y, Math.max(1, w), LANE - 8);
      if (outline) {
        ctx.strokeStyle = outline;
        ctx.strokeRect(x0 + 0.5, y + 0.5, Math.max(1, w - 1), LANE - 9);
      }
      if (label && w > 40) {
        ctx.fillStyle = "#fff";
        ctx.fillText(label, Math.max(x0, LABEL_W) + 3, y + 12, Math.min(w, x0 + w - LABEL_W) - 6);
      }
    };
    for (const r of ranges) {
      const lane = r.kind === "module" ? laneOf.get(`module/${moduleRow(r.name)}`) : laneOf.get("ops");
      if (lane !== undefined) drawSpan(lane, r.start, r.duration, rangeColor(r), r.kind === "module" ? moduleLabel(r.name) : r.name);
    }
    if (highlight) ctx.globalAlpha = 0.22;
    for (const e of events) {
      drawSpan(laneOf.get(`track/${trackOf(e)}`)!, e.start, e.duration, colorOf(e), e.name, e.category === "fallback" ? "#ff9ea1" : undefined);
    }
    ctx.globalAlpha = 1;
    pixels.forEach((column, i) => {
      const y = laneY(i) + 4;
      for (let px = 0; px < column.length; px++) {
        const c = column[px];
        if (!c) continue;
        let end = px + 1;
        while (end < column.length && column[end] === c) end++;
        ctx.fillStyle = c;
        ctx.globalAlpha = highlight && lanes[i]!.kind === "track" ? 0.22 : 1;
        ctx.fillRect(LABEL_W + px, y, end - px, LANE - 8);
        px = end - 1;
      }
    });
    ctx.globalAlpha = 1;
    // The picked row's kernels on top, at least 2 px wide so a sub-pixel kernel still shows.
    for (const e of highlighted) {
      const s = e.start - origin;
      if (s > v1 || s + e.duration < v0) continue;
      const x0 = toX(s);
      const y = laneY(laneOf.get(`track/${trackOf(e)}`)!) + 3;
      ctx.fillStyle = colorOf(e);
      ctx.fillRect(x0, y, Math.max(2, e.duration * scale), LANE - 6);
      ctx.strokeStyle = fg;
      ctx.lineWidth = 1;
      ctx.strokeRect(x0 - 0.5, y - 0.5, Math.max(2, e.duration * scale) + 1, LANE - 5);
    }
    if (selected) {
      const s = selected.start - origin;
      const x0 = toX(s);
      const w = Math.max(2, toX(s + selected.duration) - x0);
      const y = laneY(laneOf.get(`track/${trackOf(selected)}`) ?? 0) + 2;
      ctx.strokeStyle = fg;
      ctx.lineWidth = 2;
      ctx.strokeRect(x0, y, w, LANE - 4);
    }
    if (range) {
      const x0 = toX(Math.min(...range));
      const x1 = toX(Math.max(...range));
      ctx.fillStyle = "rgba(79,142,247,0.16)";
      ctx.fillRect(x0, HEADER - 4, Math.max(1, x1 - x0), height - HEADER + 4);
      ctx.fillStyle = fg;
      ctx.fillRect(x0, HEADER - 4, 1, height - HEADER + 4);
      ctx.fillRect(x1, HEADER - 4, 1, height - HEADER + 4);
    }
    ctx.restore();
  });

  const laneAt = (y: number): Lane | undefined => lanes[Math.floor((y - HEADER) / LANE)];

  /** The data, module or op span under (x, y), for its tooltip. */
  const spanAt = (x: number, y: number) => {
    const lane = laneAt(y);
    if (!lane || x < LABEL_W) return undefined;
    const t = timeAt(x);
    const slack = (3 / plotW) * (v1 - v0);
    const hit = (start: number, end: number) => t >= start - origin - slack && t <= end - origin + slack;
    if (lane.kind === "data") {
      const d = data.find((d) => hit(d.start, d.end));
      return d && { name: d.name, what: "data loading", start: d.start, end: d.end };
    }
    if (lane.kind !== "module" && lane.kind !== "ops") return undefined;
    let best: ProfileRange | undefined;
    for (const r of ranges) {
      const onLane = lane.kind === "module" ? r.kind === "module" && moduleRow(r.name) === lane.row : r.kind === "op";
      if (onLane && hit(r.start, r.start + r.duration) && (!best || r.duration < best.duration)) best = r;
    }
    return best && { name: best.name, what: best.kind, start: best.start, end: best.start + best.duration };
  };

  const eventAt = (x: number, y: number): ProfileEvent | undefined => {
    const lane = laneAt(y);
    if (lane?.kind !== "track" || x < LABEL_W) return undefined;
    const t = timeAt(x);
    const slack = (3 / plotW) * (v1 - v0);
    let best: ProfileEvent | undefined;
    for (const e of events) {
      if (trackOf(e) !== lane.label) continue;
      const s = e.start - origin;
      if (t >= s - slack && t <= s + e.duration + slack && (!best || e.duration < best.duration)) best = e;
    }
    return best;
  };

  const local = (ev: React.MouseEvent) => {
    const r = canvasRef.current!.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  };

  return (
    <div className="timeline" ref={wrapRef}>
      <canvas
        ref={canvasRef}
        style={{ width, height }}
        tabIndex={0}
        data-testid="timeline"
        data-highlighted={highlighted.length}
        data-view={`${v0.toFixed(4)},${v1.toFixed(4)}`}
        data-lanes={lanes.map((l) => l.kind).join(",")}
        role="img"
        aria-label={`Kernel timeline: ${formatCount(events.length)} events on ${tracks.length} tracks over ${formatMs(extent[1] - extent[0])}, ${steps.length} steps, ${formatCount(ranges.length)} module and op ranges. Keys: + and − zoom, arrows pan, 0 shows everything. The table after it lists each track.`}
        aria-describedby={tableId}
        onKeyDown={(ev) => {
          const centre = (v0 + v1) / 2;
          const handled = (() => {
            if (ev.key === "+" || ev.key === "=") zoom(0.8, centre);
            else if (ev.key === "-" || ev.key === "_") zoom(1.25, centre);
            else if (ev.key === "ArrowLeft") pan(-(v1 - v0) / 10);
            else if (ev.key === "ArrowRight") pan((v1 - v0) / 10);
            else if (ev.key === "0" || ev.key === "Home") setView(undefined);
            else if (ev.key === "Escape" && range) chooseRange(undefined);
            else return false;
            return true;
          })();
          if (handled) {
            ev.preventDefault();
            ev.stopPropagation();
          }
        }}
        onMouseDown={(ev) => (drag.current = { x: local(ev).x, view: [v0, v1], pan: ev.shiftKey, moved: false })}
        onMouseUp={(ev) => {
          const d = drag.current;
          drag.current = undefined;
          if (d && !d.moved) {
            const { x, y } = local(ev);
            onSelect(eventAt(x, y));
          }
        }}
        onMouseMove={(ev) => {
          const { x, y } = local(ev);
          const d = drag.current;
          if (d && (d.moved || Math.abs(x - d.x) >= 3)) {
            d.moved = true;
            const width = d.view[1] - d.view[0];
            if (d.pan) {
              const dt = ((x - d.x) / plotW) * width;
              setView([d.view[0] - dt, d.view[1] - dt]);
            } else {
              const at = (px: number) => d.view[0] + ((Math.max(LABEL_W, px) - LABEL_W) / plotW) * width;
              chooseRange([at(Math.min(d.x, x)), at(Math.max(d.x, x))]);
            }
            setHover(undefined);
            setSpanHover(undefined);
            return;
          }
          const e = eventAt(x, y);
          setHover(e ? { e, clientX: ev.clientX, clientY: ev.clientY } : undefined);
          const span = e ? undefined : spanAt(x, y);
          setSpanHover(span ? { ...span, clientX: ev.clientX, clientY: ev.clientY } : undefined);
        }}
        onMouseLeave={() => {
          drag.current = undefined;
          setHover(undefined);
          setSpanHover(undefined);
        }}
        onDoubleClick={() => setView(undefined)}
      />
      {hover && (
        <FloatingTooltip clientX={hover.clientX} clientY={hover.clientY}>
          <EventDetails e={hover.e} origin={origin} />
        </FloatingTooltip>
      )}
      {spanHover && (
        <FloatingTooltip clientX={spanHover.clientX} clientY={spanHover.clientY}>
          <div className="event-details">
            <b>{spanHover.name}</b> <span className="cat">{spanHover.what}</span>
            <div className="mono">
              {formatMs(spanHover.end - spanHover.start)} at {formatMs(spanHover.start - origin)}
            </div>
          </div>
        </FloatingTooltip>
      )}
      <TimelineTable events={events} ranges={ranges} steps={steps} data={data} tracks={tracks} id={tableId} />
      <div className="legend">
        {Object.entries(CATEGORY_COLORS).map(([k, c]) => (
          <span key={k}>
            <i style={{ background: k === "kernel" ? "linear-gradient(90deg,#4f8ef7,#4fc78e,#e0b84f)" : c }} />
            {k}
          </span>
        ))}
        {data.length > 0 && (
          <span>
            <i style={{ background: DATA_COLOR }} />
            data loading
          </span>
        )}
        {highlight && (
          <span data-testid="timeline-highlight">
            <b>{formatCount(highlighted.length)}</b> highlighted
          </span>
        )}
        <span className="muted">wheel or +/−: zoom · Shift+wheel, Shift+drag or ←/→: pan · drag: select a range · double-click or 0: all · click: details</span>
        {range && (
          <button className="small" data-testid="zoom-to-range" onClick={() => setView([Math.min(...range), Math.max(...range)])}>
            Zoom to range
          </button>
        )}
      </div>
    </div>
  );
}

export function EventDetails({ e, origin }: { e: ProfileEvent; origin: number }) {
  return (
    <div className="event-details">
      <b>{e.name}</b> <span className={`cat cat-${e.category}`}>{e.category}</span>
      <div className="mono">
        {e.device} · {formatMs(e.duration)} at {formatMs(e.start - origin)}
      </div>
      {e.args &&
        Object.entries(e.args).map(([k, v]) => (
          <div key={k} className="mono arg">
            {k}: {typeof v === "number" ? formatNumber(v) : String(v)}
          </div>
        ))}
    </div>
  );
}

/** The timeline as text for screen readers: per track, how many events and how much busy time. */
function TimelineTable({
  events,
  ranges,
  steps,
  data,
  tracks,
  id,
}: {
  events: readonly ProfileEvent[];
  ranges: readonly ProfileRange[];
  steps: readonly StepSpan[];
  data: readonly DataSpan[];
  tracks: string[];
  id: string;
}) {
  const rows = useMemo(() => {
    const by = new Map<string, { count: number; busy: number; fallback: number }>();
    for (const e of events) {
      const t = trackOf(e);
      const r = by.get(t) ?? { count: 0, busy: 0, fallback: 0 };
      r.count++;
      r.busy += e.duration;
      if (e.category === "fallback") r.fallback++;
      by.set(t, r);
    }
    const loading = data.length ? [{ track: DATA_TRACK, count: data.length, busy: data.reduce((a, d) => a + d.end - d.start, 0), fallback: 0 }] : [];
    // Modules nest, so only the outermost ones' time is busy time; ops do not nest.
    const hosted = (["module", "op"] as const).flatMap((kind) => {
      const list = ranges.filter((r) => r.kind === kind);
      const counted = kind === "module" ? list.filter((r) => !r.name.includes("/")) : list;
      return list.length
        ? [{ track: kind === "module" ? "modules" : "ops", count: list.length, busy: counted.reduce((a, r) => a + r.duration, 0), fallback: 0 }]
        : [];
    });
    return [...loading, ...hosted, ...tracks.map((t) => ({ track: t, ...by.get(t)! }))];
  }, [events, ranges, data, tracks]);
  return (
    <table className="sr-only" id={id} data-testid="timeline-table">
      <caption>Timeline by track ({steps.length} steps)</caption>
      <thead>
        <tr>
          <th>track</th>
          <th>events</th>
          <th>busy time</th>
          <th>fell back</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.track}>
            <td>{r.track}</td>
            <td>{formatCount(r.count)}</td>
            <td>{formatMs(r.busy)}</td>
            <td>{formatCount(r.fallback)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
