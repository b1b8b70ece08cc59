/**
 * Where the graph view draws a fused group over the unfused graph: one box around all its member
 * nodes when no other node falls inside that box, otherwise a box around each member (drawn as
 * one group), so an outline never seems to claim a node the kernel does not run.
 */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Padding {
  top: number;
  side: number;
}

const grow = (r: Rect, p: Padding): Rect => ({ x: r.x - p.side, y: r.y - p.top, w: r.w + 2 * p.side, h: r.h + p.top + p.side });

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

export function outlineRects(members: readonly Rect[], others: readonly Rect[], pad: Padding): Rect[] {
  if (!members.length) return [];
  const x0 = Math.min(...members.map((r) => r.x));
  const y0 = Math.min(...members.map((r) => r.y));
  const x1 = Math.max(...members.map((r) => r.x + r.w));
  const y1 = Math.max(...members.map((r) => r.y + r.h));
  const box = grow({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, pad);
  return others.some((r) => overlaps(r, box)) ? members.map((r) => grow(r, pad)) : [box];
}
