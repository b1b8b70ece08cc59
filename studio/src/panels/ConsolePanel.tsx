import { useEffect, useMemo, useRef, useState } from "react";
import type { ConsoleEntry } from "../worker/protocol.ts";

const LEVELS: ConsoleEntry["level"][] = ["log", "info", "warn", "error"];

export function ConsolePanel({
  entries,
  onClear,
  onGoToLine,
  height,
}: {
  entries: ConsoleEntry[];
  onClear(): void;
  onGoToLine(line: number): void;
  height: number;
}) {
  const ref = useRef<HTMLDivElement | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<ConsoleEntry["level"]>>(new Set());
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const e of entries) c[e.level] = (c[e.level] ?? 0) + 1;
    return c;
  }, [entries]);
  const shown = hidden.size ? entries.filter((e) => !hidden.has(e.level)) : entries;
  const toggle = (level: ConsoleEntry["level"]) =>
    setHidden((h) => {
      const next = new Set(h);
      if (!next.delete(level)) next.add(level);
      return next;
    });
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [shown.length, entries]);
  return (
    <div className="console" style={{ height }} data-testid="console-panel">
      <div className="console-head">
        <b>Console</b>
        <span className="muted">
          {entries.length ? `${shown.length === entries.length ? entries.length : `${shown.length} of ${entries.length}`} lines` : ""}
        </span>
        <span className="spacer" />
        <span role="group" aria-label="Show console levels" className="level-filter">
          {LEVELS.map((level) => (
            <button
              key={level}
              className={`small level-${level}`}
              aria-pressed={!hidden.has(level)}
              onClick={() => toggle(level)}
              data-testid={`console-level-${level}`}
              title={`${hidden.has(level) ? "Show" : "Hide"} ${level} lines`}
            >
              {level} {counts[level] ?? 0}
            </button>
          ))}
        </span>
        <button className="small" onClick={onClear}>
          Clear
        </button>
      </div>
      <div className="console-body" ref={ref} data-testid="console">
        {shown.map((e, i) => {
          const line = /\(line (\d+)\)/.exec(e.text)?.[1];
          return (
            <div key={i} className={`console-line ${e.level}`}>
              <span className="time">{(e.time / 1000).toFixed(2)}s</span>
              <span className="text">{e.text}</span>
              {line && (
                <button className="link" onClick={() => onGoToLine(Number(line))}>
                  go to line {line}
                </button>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
