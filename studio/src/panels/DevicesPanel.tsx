import { formatBytes } from "../lib/ticks.ts";
import type { DeviceReport } from "../worker/protocol.ts";

function limitText(k: string, v: number | string): string {
  return typeof v === "number" && /bytes/i.test(k) ? formatBytes(v) : String(v);
}

export function DevicesPanel({ devices, selected, onSelect }: { devices: DeviceReport[] | undefined; selected: string; onSelect(name: string): void }) {
  if (!devices)
    return (
      <div className="panel">
        <div className="empty">Looking for devices…</div>
      </div>
    );
  return (
    <div className="panel devices-panel" data-testid="devices-panel">
      {devices.map((d) => (
        <label
          key={d.name}
          className={`device-card${d.available ? "" : " unavailable"}${selected === d.name ? " selected" : ""}`}
          data-device={d.name}
          data-available={d.available}
        >
          <div className="device-head">
            <input type="radio" name="device" disabled={!d.available} checked={selected === d.name} onChange={() => onSelect(d.name)} />
            <b>{d.name}</b>
            {d.available ? <span className="badge ok">available</span> : <span className="badge off">unavailable</span>}
            {d.kind && (
              <span className="muted">
                {d.kind} · {d.vendor}
              </span>
            )}
          </div>
          {!d.available && <div className="reason">{d.reason}</div>}
          {d.available && (
            <dl>
              {Object.entries(d.details).map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{String(v)}</dd>
                </div>
              ))}
              <div>
                <dt>dtypes</dt>
                <dd>{d.dtypes.join(", ")}</dd>
              </div>
              <div>
                <dt>features</dt>
                <dd>{d.features.length ? d.features.join(", ") : "—"}</dd>
              </div>
              {Object.entries(d.limits).map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{limitText(k, v)}</dd>
                </div>
              ))}
            </dl>
          )}
        </label>
      ))}
    </div>
  );
}
