import { useLayoutEffect, useRef, useState, type ReactNode } from "react";

const OFFSET = 14;
const MARGIN = 6;

/**
 * A tooltip placed in viewport coordinates (position: fixed), so no scrolling or clipping parent
 * cuts it: beside the pointer, flipped above or to the left when it would leave the window.
 */
export function FloatingTooltip({ clientX, clientY, children }: { clientX: number; clientY: number; children: ReactNode }) {
  const ref = useRef<HTMLDivElement | null>(null);
  const [pos, setPos] = useState({ left: clientX + OFFSET, top: clientY + OFFSET });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const { offsetWidth: w, offsetHeight: h } = el;
    let left = clientX + OFFSET;
    let top = clientY + OFFSET;
    if (left + w > innerWidth - MARGIN) left = Math.max(MARGIN, clientX - OFFSET - w);
    if (top + h > innerHeight - MARGIN) top = Math.max(MARGIN, clientY - OFFSET - h);
    setPos((p) => (p.left === left && p.top === top ? p : { left, top }));
  }, [clientX, clientY, children]);
  return (
    <div className="tooltip" ref={ref} role="tooltip" data-testid="tooltip" style={pos}>
      {children}
    </div>
  );
}
