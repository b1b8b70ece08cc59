import { useEffect, useRef, useState } from "react";
import { decodeIdxImages, decodeIdxLabels, FASHION_MNIST_CLASSES, gunzipWithStream } from "@polychip/datasets/browser";
import type { DroppedSummary } from "../lib/dropped-files.ts";
import { ANY_STUDIO_FILE, FilePickerButton } from "./FilePickerButton.tsx";
import { formatBytes } from "../lib/ticks.ts";

interface Preview {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

async function loadPreview(baseUrl: string): Promise<Preview> {
  const get = async (name: string) => new Uint8Array(await (await fetch(new URL(name, baseUrl))).arrayBuffer());
  const [img, lab] = await Promise.all([get("t10k-images-idx3-ubyte.gz"), get("t10k-labels-idx1-ubyte.gz")]);
  const images = await decodeIdxImages(img, "t10k-images-idx3-ubyte.gz", gunzipWithStream);
  const labels = await decodeIdxLabels(lab, "t10k-labels-idx1-ubyte.gz", gunzipWithStream);
  return { pixels: images.pixels, labels: labels.labels, count: images.count };
}

function Thumb({ pixels, label }: { pixels: Uint8Array; label: number }) {
  const ref = useRef<HTMLCanvasElement | null>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext("2d");
    if (!ctx) return;
    const img = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = 255 - pixels[i]!;
      img.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  }, [pixels]);
  return (
    <figure className="thumb">
      <canvas ref={ref} width={28} height={28} />
      <figcaption>{FASHION_MNIST_CLASSES[label]}</figcaption>
    </figure>
  );
}

export function DataPanel({
  baseUrl,
  files,
  onRemove,
  onFiles,
}: {
  baseUrl: string;
  files: DroppedSummary[];
  onRemove(name: string): void;
  onFiles(files: FileList): void;
}) {
  const [preview, setPreview] = useState<Preview | { error: string } | undefined>();
  useEffect(() => {
    loadPreview(baseUrl).then(setPreview, (e: Error) => setPreview({ error: e.message }));
  }, [baseUrl]);
  return (
    <div className="panel data-panel">
      <section>
        <h3>Embedded Fashion-MNIST subset</h3>
        <p className="muted">
          Served with the studio (works offline): 10,000 training and 2,000 test images of 28×28, 10 classes. <code>loadFashionMnist()</code> reads it, or the
          four IDX files when you drop them here.
        </p>
        {preview && "error" in preview && <div className="unavailable">Could not load the subset: {preview.error}</div>}
        {preview && !("error" in preview) && (
          <div className="thumbs" data-testid="data-thumbs">
            {Array.from({ length: 24 }, (_, i) => (
              <Thumb key={i} pixels={preview.pixels.subarray(i * 784, (i + 1) * 784)} label={preview.labels[i]!} />
            ))}
          </div>
        )}
      </section>
      <section>
        <h3>Your files</h3>
        <p className="muted">
          Drop files anywhere on the page or choose them: IDX images/labels (<code>.gz</code> or raw), CSV tables (<code>loadCsv()</code>), <code>.onnx</code>{" "}
          or Polychip model files. Your code gets them with <code>droppedFiles()</code>.
        </p>
        <div className="toolbar">
          <FilePickerButton label="Choose files…" accept={ANY_STUDIO_FILE} onFiles={onFiles} testId="pick-data" />
        </div>
        {files.length === 0 ? (
          <div className="dropzone">No files dropped yet.</div>
        ) : (
          <table className="op-table" data-testid="dropped-files">
            <tbody>
              {files.map((f) => (
                <tr key={f.name}>
                  <td className="mono">{f.name}</td>
                  <td>{f.kind}</td>
                  <td>
                    {f.error ? (
                      <span className="error-text">
                        {f.detail}: {f.error}
                      </span>
                    ) : (
                      f.detail
                    )}
                  </td>
                  <td className="num">{formatBytes(f.bytes)}</td>
                  <td>
                    <button className="small" onClick={() => onRemove(f.name)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
