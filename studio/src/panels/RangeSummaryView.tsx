import { useMemo } from "react";
import type { ProfileEvent } from "@polychip/hal";
import type { ProfileRange } from "@polychip/engine";
import type { DataSpan } from "../lib/chrome-trace.ts";
import { formatCount, formatMs } from "../lib/format-number.ts";
import { summarizeRange } from "../lib/range-summary.ts";

interface Props {
  range: [number, number];
  origin: number;
  events: readonly ProfileEvent[];
  ranges: readonly ProfileRange[];
  data: readonly DataSpan[];
  onClear(): void;
}

/** Rows shown; the rest are counted. */
const SHOWN = 40;

/** The Summary of a dragged-out stretch of the timeline: where its time went, longest first. */
export function RangeSummaryView({ range, origin, events, ranges, data, onClear }: Props) {
  const summary = useMemo(() => summarizeRange(range[0], range[1], origin, events, ranges, data), [range, origin, events, ranges, data]);
  const length = summary.to - summary.from;
  return (
    <section className="range-summary" data-testid="range-summary" aria-label="Summary of the selected range">
      <div className="toolbar">
        <b>Range summary</b>
        <span className="muted" data-testid="range-extent">
          {formatMs(summary.from)} – {formatMs(summary.to)} ({formatMs(length)})
        </span>
        <span className="spacer" />
        <button className="small" onClick={onClear} data-testid="clear-range">
          Clear range
        </button>
      </div>
      {summary.rows.length === 0 ? (
        <div className="muted">Nothing ran in this range.</div>
      ) : (
        <table className="op-table">
          <thead>
            <tr>
              <th>name</th>
              <th>kind</th>
              <th className="num">count</th>
              <th className="num">time in range</th>
              <th className="num">share</th>
            </tr>
          </thead>
          <tbody>
            {summary.rows.slice(0, SHOWN).map((r) => (
              <tr key={`${r.kind}/${r.name}`} data-kind={r.kind} data-name={r.name}>
                <td className="mono">{r.name}</td>
                <td>
                  <span className={`cat cat-${r.kind}`}>{r.kind}</span>
                </td>
                <td className="num">{formatCount(r.count)}</td>
                <td className="num share-cell" style={{ backgroundSize: `${Math.min(100, r.share * 100).toFixed(1)}% 3px` }}>
                  {formatMs(r.ms)}
                </td>
                <td className="num" data-share={r.share.toFixed(6)}>
                  {(r.share * 100).toFixed(1)}%
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {summary.rows.length > SHOWN && <div className="muted">and {formatCount(summary.rows.length - SHOWN)} more</div>}
    </section>
  );
}
