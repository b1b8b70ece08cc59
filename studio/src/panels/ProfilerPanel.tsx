import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ProfileEvent } from "@polychip/hal";
import type { ProfileRange } from "@polychip/engine";
import { toChromeTrace, type DataSpan, type StepSpan } from "../lib/chrome-trace.ts";
import { download } from "../lib/download.ts";
import type { OpRow, OpSummary } from "../lib/op-summary.ts";
import { shortOpName } from "../lib/op-name.ts";
import { formatBytes } from "../lib/ticks.ts";
import { formatCount, formatMs, formatNumber } from "../lib/format-number.ts";
import type { FallbackInfo } from "../worker/protocol.ts";
import { EventDetails, Timeline } from "./Timeline.tsx";
import { RangeSummaryView } from "./RangeSummaryView.tsx";
import { nextSort, sortOpRows, type OpSort, type OpSortKey } from "../lib/op-sort.ts";

interface Props {
  events: readonly ProfileEvent[];
  ranges: readonly ProfileRange[];
  steps: readonly StepSpan[];
  data: readonly DataSpan[];
  origin: number;
  summary: OpSummary;
  droppedEvents: number;
  fallback: FallbackInfo[];
  version: number;
  running: boolean;
}

/** While a run streams, the profiler redraws at most this often (the page must stay responsive). */
const LIVE_REFRESH_MS = 500;

/** The latest value, but updated at most every `ms` while `throttle` is true. */
function useThrottled<T>(value: T, throttle: boolean, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (!throttle) {
      setShown(value);
      return;
    }
    const wait = Math.max(0, ms - (performance.now() - last.current));
    const t = setTimeout(() => {
      last.current = performance.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(t);
  }, [value, throttle, ms]);
  return throttle ? shown : value;
}

/** Args an NPU plugin reports per kernel, shown as columns when present. */
const DEVICE_ARG_COLUMNS: { key: RegExp; label: string; bytes?: boolean }[] = [
  { key: /^cycles$/i, label: "cycles" },
  { key: /^(dmaBytes|dma_bytes)$/i, label: "DMA", bytes: true },
  { key: /^onChip/i, label: "on-chip peak", bytes: true },
  { key: /^macUtilisation$/i, label: "MAC util. max" },
];

export function buildTrace(
  events: readonly ProfileEvent[],
  steps: readonly StepSpan[],
  origin: number,
  droppedEvents: number,
  data: readonly DataSpan[] = [],
  ranges: readonly ProfileRange[] = [],
) {
  return toChromeTrace(events, steps, origin, droppedEvents ? { note: `${droppedEvents} oldest events were not kept by the studio` } : {}, data, ranges);
}

/** The op-table row an event is counted in. */
const rowKey = (r: Pick<OpRow, "device" | "category" | "name">) => `${r.device}/${r.category}/${r.name}`;

export function ProfilerPanel(props: Props) {
  const live = useThrottled(props, props.running, LIVE_REFRESH_MS);
  return <ProfilerView {...live} />;
}

function ProfilerView({ events, ranges, steps, data, origin, summary, droppedEvents, fallback, version }: Props) {
  const [timeRange, setTimeRange] = useState<[number, number] | undefined>();
  useEffect(() => setTimeRange(undefined), [origin]); // a new run: the old range means nothing
  const [linkedRow, setLinkedRow] = useState<string | undefined>();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const toggleExpanded = (key: string) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  const highlight = useCallback((e: ProfileEvent) => rowKey({ device: e.device, category: e.category, name: shortOpName(e.name) }) === linkedRow, [linkedRow]);
  const [filter, setFilter] = useState("");
  const [selected, setSelected] = useState<ProfileEvent | undefined>();
  const [sort, setSort] = useState<OpSort>({ key: "totalMs", descending: true });
  const rows = useMemo(() => summary.rows(), [summary, version]);
  const sorted = useMemo(() => sortOpRows(rows, sort), [rows, sort]);
  const shown = sorted.filter((r) => !filter || r.name.toLowerCase().includes(filter.toLowerCase()) || r.device.includes(filter));
  const argColumns = DEVICE_ARG_COLUMNS.flatMap((c) => {
    const arg = rows.flatMap((r) => Object.keys(r.argTotals)).find((k) => c.key.test(k));
    return arg ? [{ ...c, sortKey: `arg:${arg}` as OpSortKey }] : [];
  });
  const header = (label: string, key: OpSortKey, numeric: boolean, title?: string) => (
    <th key={key} className={numeric ? "num" : undefined} aria-sort={sort.key === key ? (sort.descending ? "descending" : "ascending") : "none"} title={title}>
      <button className="sort" onClick={() => setSort((s) => nextSort(s, key))} data-sort={key}>
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.descending ? " ▾" : " ▴") : ""}</span>
      </button>
    </th>
  );
  const argValue = (totals: Record<string, number>, key: RegExp) => Object.entries(totals).find(([k]) => key.test(k))?.[1];

  return (
    <div className="panel profiler-panel">
      <div className="toolbar">
        <span className="muted">
          {summary.eventCount.toLocaleString()} events{droppedEvents ? ` (timeline keeps the last ${events.length.toLocaleString()})` : ""}
        </span>
        <span className="spacer" />
        <button
          disabled={!events.length}
          data-testid="export-trace"
          onClick={() => download("polychip-trace.json", JSON.stringify(buildTrace(events, steps, origin, droppedEvents, data, ranges)), "application/json")}
        >
          Export Chrome trace
        </button>
      </div>
      {!events.length ? (
        <div className="empty">The timeline fills while a run executes: each kernel per device, transfers, and ops that fell back to the CPU.</div>
      ) : (
        <>
          <Timeline
            events={events}
            ranges={ranges}
            range={timeRange}
            onRangeSelect={setTimeRange}
            steps={steps}
            data={data}
            origin={origin}
            highlight={linkedRow ? highlight : undefined}
            selected={selected}
            onSelect={setSelected}
          />
          {timeRange && (
            <RangeSummaryView range={timeRange} origin={origin} events={events} ranges={ranges} data={data} onClear={() => setTimeRange(undefined)} />
          )}
          {selected && (
            <div className="selected-event">
              <EventDetails e={selected} origin={origin} />
            </div>
          )}
        </>
      )}
      {fallback.length > 0 && (
        <div className="fallback-report" data-testid="fallback-report">
          <b>Fell back to the CPU:</b>
          {fallback.map((f) => (
            <span key={`${f.device}/${f.op}/${f.dtype}`} className="fallback-chip" title={f.reason}>
              {f.op} ({f.dtype}) ×{f.count} on {f.device} · {formatBytes(f.bytesToHost + f.bytesToDevice)} moved
            </span>
          ))}
        </div>
      )}
      {rows.length > 0 && (
        <div className="op-table-wrap">
          <div className="toolbar">
            <b>Per-op summary</b>
            <span className="muted">click a row to highlight its kernels on the timeline</span>
            <span className="spacer" />
            <input placeholder="filter ops" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </div>
          <table className="op-table" data-testid="op-table">
            <thead>
              <tr>
                {header("op", "name", false)}
                {header("device", "device", false)}
                {header("count", "count", true)}
                {header("total", "totalMs", true, "total time, and its share of all profiled time")}
                {header("avg", "avgMs", true)}
                {argColumns.map((c) => header(c.label, c.sortKey, true))}
              </tr>
            </thead>
            <tbody>
              {shown.slice(0, 300).map((r) => (
                <Fragment key={rowKey(r)}>
                  <tr
                    className={`${r.category === "fallback" ? "fallback-row" : ""}${linkedRow === rowKey(r) ? " linked" : ""}`}
                    data-category={r.category}
                    onClick={() => setLinkedRow((k) => (k === rowKey(r) ? undefined : rowKey(r)))}
                  >
                    <td className="op-name" title={r.keys.length ? `${r.name}: ${r.keys.join("\n")}` : r.name}>
                      <button
                        className="link-row mono"
                        aria-pressed={linkedRow === rowKey(r)}
                        aria-label={`${r.name} on ${r.device}: highlight on the timeline`}
                        data-testid={`op-row-${r.name}`}
                        onClick={(ev) => {
                          ev.stopPropagation();
                          setLinkedRow((k) => (k === rowKey(r) ? undefined : rowKey(r)));
                        }}
                      >
                        {r.name}
                      </button>
                      {r.programs.length > 0 && (
                        <button
                          className="small expand"
                          aria-expanded={expanded.has(rowKey(r))}
                          data-testid={`expand-${r.name}`}
                          title="the member ops of this fused kernel"
                          onClick={(ev) => {
                            ev.stopPropagation();
                            toggleExpanded(rowKey(r));
                          }}
                        >
                          {expanded.has(rowKey(r)) ? "▾" : "▸"} {r.programs.length} {r.programs.length === 1 ? "program" : "programs"}
                        </button>
                      )}
                      {r.category !== "kernel" && <span className={`cat cat-${r.category}`}>{r.category}</span>}
                      {r.keys.length > 1 && (
                        <span className="muted">
                          {" "}
                          ×{r.keys.length}
                          {r.keys.length >= 12 ? "+" : ""} variants
                        </span>
                      )}
                    </td>
                    <td>{r.device}</td>
                    <td className="num">{formatCount(r.count)}</td>
                    <td
                      className="num share-cell"
                      title={`${(r.share * 100).toFixed(1)}% of the profiled time`}
                      style={{ backgroundSize: `${(r.share * 100).toFixed(1)}% 3px` }}
                    >
                      {formatMs(r.totalMs)}
                    </td>
                    <td className="num">{formatMs(r.totalMs / r.count)}</td>
                    {argColumns.map((c) => {
                      const v = argValue(r.argTotals, c.key);
                      return (
                        <td key={c.label} className="num">
                          {v === undefined ? "" : c.bytes ? formatBytes(v) : formatNumber(v)}
                        </td>
                      );
                    })}
                  </tr>
                  {expanded.has(rowKey(r)) &&
                    r.programs.map((p) => (
                      <tr key={p.ops.join(" ")} className="member-row" data-testid="fused-members">
                        <td className="mono">{p.ops.join(" → ")}</td>
                        <td />
                        <td className="num">{formatCount(p.count)}</td>
                        <td className="num">{formatMs(p.totalMs)}</td>
                        <td className="num">{formatMs(p.totalMs / p.count)}</td>
                        {argColumns.map((c) => (
                          <td key={c.label} />
                        ))}
                      </tr>
                    ))}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
