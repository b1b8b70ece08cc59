/** Pane sizes the user dragged, remembered per browser. */
const KEY = "polychip-studio:layout";

export interface Layout {
  /** Width of the editor column in px. */
  editorWidth: number;
  /** Height of the console in px. */
  consoleHeight: number;
}

export const DEFAULT_LAYOUT: Layout = { editorWidth: 0, consoleHeight: 190 };

export function loadLayout(): Layout {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Layout>;
    const num = (v: unknown, fallback: number) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : fallback);
    return { editorWidth: num(saved.editorWidth, DEFAULT_LAYOUT.editorWidth), consoleHeight: num(saved.consoleHeight, DEFAULT_LAYOUT.consoleHeight) };
  } catch {
    return DEFAULT_LAYOUT;
  }
}

export function saveLayout(layout: Layout): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(layout));
  } catch {
    /* the layout is a nicety */
  }
}
