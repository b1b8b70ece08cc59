import type { DroppedSummary } from "../lib/dropped-files.ts";
import { formatCount, formatNumber } from "../lib/format-number.ts";
import type { Availability, ModelRunResult, ModelSummary } from "../worker/protocol.ts";
import { FilePickerButton } from "./FilePickerButton.tsx";

export type ExportFormat = "checkpoint" | "pcm" | "onnx";

const FORMATS: { id: ExportFormat; label: string; needs: string[] }[] = [
  { id: "checkpoint", label: "Checkpoint (.pcck, weights)", needs: [] },
  { id: "pcm", label: "Model file (.pcm, graph + weights)", needs: ["trace", "runtime"] },
  { id: "onnx", label: "ONNX (.onnx)", needs: ["trace", "onnx"] },
];

interface Props {
  model: ModelSummary | undefined;
  modelAlive: boolean;
  features: Record<string, Availability<true>> | undefined;
  exportStatus: string | undefined;
  onExport(format: ExportFormat): void;
  files: DroppedSummary[];
  onRunFile(name: string): void;
  onViewFile(name: string): void;
  fileResult: { name: string; result: Availability<ModelRunResult> } | undefined;
  onFiles(files: FileList): void;
}

export function ModelPanel({ model, modelAlive, features, exportStatus, onExport, files, onRunFile, onViewFile, fileResult, onFiles }: Props) {
  const reasonFor = (needs: string[]) => needs.map((n) => features?.[n]).find((f): f is { ok: false; reason: string } => !!f && !f.ok)?.reason;
  const modelFiles = files.filter((f) => f.kind === "onnx" || f.kind === "model");
  return (
    <div className="panel model-panel">
      <section>
        <h3>Trained model</h3>
        {!model ? (
          <p className="muted">
            Call <code>setModel(model, exampleInput)</code> in your code; after the run the model can be exported here.
          </p>
        ) : (
          <>
            <p>
              <b>{model.name}</b> · {formatCount(model.parameters)} parameters in {model.tensors.length} tensors
              {!modelAlive && <span className="error-text"> · the run's worker is gone (stopped); run again to export</span>}
            </p>
            <details>
              <summary>Parameters</summary>
              <table className="op-table">
                <tbody>
                  {model.tensors.map((t) => (
                    <tr key={t.name}>
                      <td className="mono">{t.name}</td>
                      <td className="mono">
                        {t.dtype}[{t.shape.join(", ")}]
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </>
        )}
        <div className="export-buttons">
          {FORMATS.map((f) => {
            const reason = reasonFor(f.needs);
            return (
              <div key={f.id} className="export-row">
                <button disabled={!model || !modelAlive || !!reason} onClick={() => onExport(f.id)} data-testid={`export-${f.id}`}>
                  Download {f.label}
                </button>
                {reason && <span className="unavailable-inline">Not available yet: {reason}</span>}
              </div>
            );
          })}
        </div>
        {exportStatus && (
          <p className="muted" data-testid="export-status">
            {exportStatus}
          </p>
        )}
      </section>
      <section>
        <h3>Run a model file</h3>
        <p className="muted">
          Drop an <code>.onnx</code> or <code>.pcm</code> file on the page, or choose one, to load it and run it on the selected device.
        </p>
        <div className="toolbar">
          <FilePickerButton label="Choose a model file…" accept=".onnx,.pcm" onFiles={onFiles} testId="pick-model" />
        </div>
        {modelFiles.map((f) => (
          <div key={f.name} className="export-row">
            <span className="mono">{f.name}</span>
            <button onClick={() => onRunFile(f.name)}>Load and run</button>
            <button onClick={() => onViewFile(f.name)} data-testid={`view-${f.name}`}>
              View graph
            </button>
          </div>
        ))}
        {fileResult && (
          <div className={fileResult.result.ok ? "" : "unavailable"} data-testid="model-file-result">
            {fileResult.result.ok ? (
              <>
                <pre className="result-summary">{fileResult.result.value.summary}</pre>
                {fileResult.result.value.outputs.map((o) => (
                  <div key={o.name} className="mono">
                    {o.name} [{o.shape.join(", ")}]:{" "}
                    {o.values
                      .slice(0, 10)
                      .map((v) => formatNumber(v))
                      .join(", ")}
                  </div>
                ))}
              </>
            ) : (
              <>
                {!fileResult.result.reason.startsWith(fileResult.name) && <b>{fileResult.name}: </b>}
                {fileResult.result.reason}
              </>
            )}
          </div>
        )}
      </section>
    </div>
  );
}
