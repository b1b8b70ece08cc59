import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { ProfileEvent } from "@polychip/hal";
import { DATA_TRACK, trackOf, type DataSpan, type StepSpan } from "../lib/chrome-trace.ts";
import { durationUnit, formatCount, formatMs, formatNumber } from "../lib/format-number.ts";
import { FloatingTooltip } from "./FloatingTooltip.tsx";

interface Props {
  events: readonly ProfileEvent[];
  steps: readonly StepSpan[];
  /** Data loading, drawn on its own lane under the steps. */
  data: readonly DataSpan[];
  origin: number;
  /** Events of the op-table row the user picked: drawn on top, the others dimmed. */
  highlight?: (e: ProfileEvent) => boolean;
  selected: ProfileEvent | undefined;
  onSelect(e: ProfileEvent | undefined): void;
}

const LANE = 24;
const HEADER = 22;
const LABEL_W = 118;
const DATA_COLOR = "#2bb5a8";

const CATEGORY_COLORS: Record<ProfileEvent["category"], string> = {
  kernel: "#4f8ef7",
  transfer: "#f0a030",
  fallback: "#e5484d",
  sync: "#8a8f98",
  compile: "#a371f7",
};

const kernelColors = new Map<string, string>();

/** A stable colour per kernel name (cached: the timeline asks for it once per event per draw). */
function colorOf(e: ProfileEvent): string {
  if (e.category !== "kernel") return CATEGORY_COLORS[e.category];
  let c = kernelColors.get(e.name);
  if (!c) {
    let h = 0;
    for (let i = 0; i < e.name.length; i++) h = (h * 31 + e.name.charCodeAt(i)) >>> 0;
    kernelColors.set(e.name, (c = `hsl(${h % 360} 62% 55%)`));
  }
  return c;
}

interface Palette {
  theme: string | undefined;
  fg: string;
  muted: string;
  grid: string;
}

/**
 * Kernels per device and transfers on a canvas (tens of thousands of events stay cheap): wheel
 * zooms at the cursor, drag pans, double-click shows everything; fallbacks are red and outlined.
 */
export function Timeline({ events, steps, data, origin, highlight, selected, onSelect }: Props) {
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const wrapRef = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(600);
  const [view, setView] = useState<[number, number] | undefined>();
  const [hover, setHover] = useState<{ e: ProfileEvent; clientX: number; clientY: number } | undefined>();
  const [dataHover, setDataHover] = useState<{ span: DataSpan; clientX: number; clientY: number } | undefined>();
  const drag = useRef<{ x: number; view: [number, number] } | undefined>(undefined);
  const palette = useRef<Palette | undefined>(undefined);
  const tableId = useId();

  const tracks = useMemo(() => {
    const names = new Set<string>();
    for (const e of events) names.add(trackOf(e));
    return [...names].sort((a, b) => a.localeCompare(b));
  }, [events]);

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
    return [lo - origin, Math.max(hi - origin, lo - origin + 0.001)];
  }, [events, data, origin]);

  const highlighted = useMemo(() => (highlight ? events.filter(highlight) : []), [events, highlight]);
  const [v0, v1] = view ?? extent;
  // Lanes: steps, then data loading when the run reported any, then one per track.
  const dataLanes = data.length ? 1 : 0;
  const height = HEADER + LANE * (tracks.length + 1 + dataLanes) + 6;
  const plotW = Math.max(50, width - LABEL_W);
  const toX = (t: number) => LABEL_W + ((t - v0) / (v1 - v0)) * plotW;

  useLayoutEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
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
    // Steps lane.
    const laneY = (i: number) => HEADER + i * LANE;
    ctx.fillStyle = fg;
    ctx.fillText("steps", 8, laneY(0) + 15);
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
    if (dataLanes) {
      ctx.fillStyle = fg;
      ctx.fillText(DATA_TRACK, 8, laneY(1) + 15);
      ctx.fillStyle = DATA_COLOR;
      for (const d of data) {
        const x0 = Math.max(LABEL_W, toX(d.start - origin));
        const x1 = toX(d.end - origin);
        if (x1 < LABEL_W || x0 > width) continue;
        ctx.fillRect(x0, laneY(1) + 4, Math.max(1, x1 - x0), LANE - 8);
      }
    }
    tracks.forEach((track, i) => {
      ctx.fillStyle = fg;
      ctx.fillText(track, 8, laneY(i + 1 + dataLanes) + 15);
      ctx.fillStyle = grid;
      ctx.fillRect(LABEL_W, laneY(i + 1 + dataLanes), plotW, 1);
    });
    const trackIndex = new Map(tracks.map((t, i) => [t, i + 1 + dataLanes]));
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_W, 0, plotW, height);
    ctx.clip();
    // Events narrower than a pixel are merged per pixel column and lane (the last one's colour
    // wins), so tens of thousands of tiny kernels cost one rectangle per pixel, not one each.
    const scale = plotW / (v1 - v0);
    const pixels = tracks.map(() => new Array<string | undefined>(Math.ceil(plotW) + 1));
    if (highlight) ctx.globalAlpha = 0.22;
    for (const e of events) {
      const s = e.start - origin;
      if (s > v1 || s + e.duration < v0) continue;
      const lane = trackIndex.get(trackOf(e))!;
      const x0 = LABEL_W + (s - v0) * scale;
      const w = e.duration * scale;
      if (w < 1 && e.category !== "fallback") {
        const px = Math.floor(x0 - LABEL_W);
        const column = pixels[lane - 1 - dataLanes]!;
        if (px >= 0 && px < column.length) column[px] = colorOf(e);
        continue;
      }
      const y = laneY(lane) + 4;
      ctx.fillStyle = colorOf(e);
      ctx.fillRect(x0, y, Math.max(1, w), LANE - 8);
      if (e.category === "fallback") {
        ctx.strokeStyle = "#ff9ea1";
        ctx.strokeRect(x0 + 0.5, y + 0.5, Math.max(1, w - 1), LANE - 9);
      }
      if (w > 40) {
        ctx.fillStyle = "#fff";
        ctx.fillText(e.name, x0 + 3, y + 12, w - 6);
      }
    }
    pixels.forEach((column, i) => {
      const y = laneY(i + 1 + dataLanes) + 4;
      for (let px = 0; px < column.length; px++) {
        const c = column[px];
        if (!c) continue;
        let end = px + 1;
        while (end < column.length && column[end] === c) end++;
        ctx.fillStyle = c;
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
      const y = laneY(trackIndex.get(trackOf(e))!) + 3;
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
      const y = laneY(trackIndex.get(trackOf(selected)) ?? 0) + 2;
      ctx.strokeStyle = fg;
      ctx.lineWidth = 2;
      ctx.strokeRect(x0, y, w, LANE - 4);
    }
    ctx.restore();
  });

  /** The data-loading span under (x, y), when the pointer is on that lane. */
  const dataAt = (x: number, y: number): DataSpan | undefined => {
    if (!dataLanes || x < LABEL_W || Math.floor((y - HEADER) / LANE) !== 1) return undefined;
    const t = v0 + ((x - LABEL_W) / plotW) * (v1 - v0);
    const slack = (3 / plotW) * (v1 - v0);
    return data.find((d) => t >= d.start - origin - slack && t <= d.end - origin + slack);
  };

  const eventAt = (x: number, y: number): ProfileEvent | undefined => {
    const lane = Math.floor((y - HEADER) / LANE) - 1 - dataLanes;
    const track = tracks[lane];
    if (!track || x < LABEL_W) return undefined;
    const t = v0 + ((x - LABEL_W) / plotW) * (v1 - v0);
    const slack = (3 / plotW) * (v1 - v0);
    let best: ProfileEvent | undefined;
    for (const e of events) {
      if (trackOf(e) !== track) continue;
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
        data-testid="timeline"
        data-highlighted={highlighted.length}
        role="img"
        aria-label={`Kernel timeline: ${formatCount(events.length)} events on ${tracks.length} tracks over ${formatMs(extent[1] - extent[0])}, ${steps.length} steps. The table after it lists each track.`}
        aria-describedby={tableId}
        onWheel={(ev) => {
          const { x } = local(ev);
          const at = v0 + (Math.max(0, x - LABEL_W) / plotW) * (v1 - v0);
          const k = ev.deltaY > 0 ? 1.25 : 0.8;
          if ((v1 - v0) * k < 0.001) return; // a microsecond is as deep as the clocks go
          setView([at - (at - v0) * k, at + (v1 - at) * k]);
        }}
        onMouseDown={(ev) => (drag.current = { x: local(ev).x, view: [v0, v1] })}
        onMouseUp={(ev) => {
          const d = drag.current;
          drag.current = undefined;
          if (d && Math.abs(local(ev).x - d.x) < 3) {
            const { x, y } = local(ev);
            onSelect(eventAt(x, y));
          }
        }}
        onMouseMove={(ev) => {
          const { x, y } = local(ev);
          const d = drag.current;
          if (d) {
            const dt = ((x - d.x) / plotW) * (d.view[1] - d.view[0]);
            setView([d.view[0] - dt, d.view[1] - dt]);
            return;
          }
          const e = eventAt(x, y);
          setHover(e ? { e, clientX: ev.clientX, clientY: ev.clientY } : undefined);
          const span = e ? undefined : dataAt(x, y);
          setDataHover(span ? { span, clientX: ev.clientX, clientY: ev.clientY } : undefined);
        }}
        onMouseLeave={() => {
          drag.current = undefined;
          setHover(undefined);
          setDataHover(undefined);
        }}
        onDoubleClick={() => setView(undefined)}
      />
      {hover && (
        <FloatingTooltip clientX={hover.clientX} clientY={hover.clientY}>
          <EventDetails e={hover.e} origin={origin} />
        </FloatingTooltip>
      )}
      {dataHover && (
        <FloatingTooltip clientX={dataHover.clientX} clientY={dataHover.clientY}>
          <div className="event-details">
            <b>{dataHover.span.name}</b> <span className="cat">data loading</span>
            <div className="mono">
              {formatMs(dataHover.span.end - dataHover.span.start)} at {formatMs(dataHover.span.start - origin)}
            </div>
          </div>
        </FloatingTooltip>
      )}
      <TimelineTable events={events} steps={steps} data={data} tracks={tracks} id={tableId} />
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
        <span className="muted">wheel: zoom · drag: pan · double-click: all · click: details</span>
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
  steps,
  data,
  tracks,
  id,
}: {
  events: readonly ProfileEvent[];
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
    return [...loading, ...tracks.map((t) => ({ track: t, ...by.get(t)! }))];
  }, [events, data, tracks]);
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
