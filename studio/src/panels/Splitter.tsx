import { useRef } from "react";

/**
 * A draggable divider between two panes (also moved with the arrow keys, in 24 px steps). It
 * reports the new size of the pane it sizes: the one before it, or after it with `sizesNext`.
 */
export function Splitter({
  orientation,
  size,
  min,
  max,
  label,
  onResize,
  testId,
  sizesNext,
}: {
  orientation: "vertical" | "horizontal";
  size: number;
  min: number;
  max: number;
  label: string;
  onResize(size: number): void;
  testId?: string;
  sizesNext?: boolean;
}) {
  const sign = sizesNext ? -1 : 1;
  const start = useRef<{ pointer: number; size: number } | undefined>(undefined);
  const along = (e: { clientX: number; clientY: number }) => (orientation === "vertical" ? e.clientX : e.clientY);
  const clamp = (v: number) => Math.round(Math.min(max, Math.max(min, v)));
  return (
    <div
      className={`splitter splitter-${orientation}`}
      role="separator"
      aria-orientation={orientation}
      aria-label={label}
      aria-valuenow={Math.round(size)}
      aria-valuemin={Math.round(min)}
      aria-valuemax={Math.round(max)}
      tabIndex={0}
      data-testid={testId}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        start.current = { pointer: along(e), size };
      }}
      onPointerMove={(e) => {
        const s = start.current;
        if (s) onResize(clamp(s.size + sign * (along(e) - s.pointer)));
      }}
      onPointerUp={() => (start.current = undefined)}
      onKeyDown={(e) => {
        const back = orientation === "vertical" ? "ArrowLeft" : "ArrowUp";
        const forward = orientation === "vertical" ? "ArrowRight" : "ArrowDown";
        if (e.key !== back && e.key !== forward) return;
        e.preventDefault();
        onResize(clamp(size + sign * (e.key === forward ? 24 : -24)));
      }}
    />
  );
}
