import { useEffect, useRef } from "react";
import type { ConsoleEntry } from "../worker/protocol.ts";

export function ConsolePanel({ entries, onClear, onGoToLine }: { entries: ConsoleEntry[]; onClear(): void; onGoToLine(line: number): void }) {
  const ref = useRef<HTMLDivElement | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [entries]);
  return (
    <div className="console">
      <div className="console-head">
        <b>Console</b>
        <span className="muted">{entries.length ? `${entries.length} lines` : ""}</span>
        <span className="spacer" />
        <button className="small" onClick={onClear}>Clear</button>
      </div>
      <div className="console-body" ref={ref} data-testid="console">
        {entries.map((e, i) => {
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
