import { EXAMPLES, type Example, type Requirement } from "../examples/gallery.ts";
import type { Availability } from "../worker/protocol.ts";
import { Dialog } from "./Dialog.tsx";

export function missingFor(example: Example, features: Record<string, Availability<true>> | undefined): string[] {
  if (!features) return [];
  return example.requires.flatMap((r: Requirement) => {
    const f = features[r];
    return f && !f.ok ? [f.reason] : [];
  });
}

export function ExamplesGallery({
  features,
  current,
  onOpen,
  onClose,
}: {
  features: Record<string, Availability<true>> | undefined;
  current: string | undefined;
  onOpen(e: Example): void;
  onClose(): void;
}) {
  return (
    <Dialog title="Examples" onClose={onClose} testId="gallery" initialFocus={current ? `[data-example="${current}"]` : "[data-example]"}>
      <div className="gallery">
        {EXAMPLES.map((ex) => {
          const missing = missingFor(ex, features);
          return (
            <button
              key={ex.id}
              className={`example-card${current === ex.id ? " current" : ""}${missing.length ? " not-ready" : ""}`}
              aria-current={current === ex.id ? "true" : undefined}
              onClick={() => onOpen(ex)}
              data-example={ex.id}
            >
              <b>{ex.title}</b>
              <span>{ex.summary}</span>
              {missing.length > 0 && (
                <span className="not-available" title={missing.join("\n")}>
                  Not available yet: {missing[0]}
                </span>
              )}
            </button>
          );
        })}
      </div>
    </Dialog>
  );
}
