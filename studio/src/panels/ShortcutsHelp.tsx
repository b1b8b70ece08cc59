import { Dialog } from "./Dialog.tsx";

const MAC = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);
const MOD = MAC ? "⌘" : "Ctrl";

/** Every shortcut the studio has, where it works, and what it does. */
export const SHORTCUTS: { keys: string[]; where: string; what: string }[] = [
  { keys: [`${MOD}+Enter`], where: "anywhere", what: "Run the code" },
  {
    keys: [MAC ? "Ctrl+Shift+M" : "Ctrl+M"],
    where: "editor",
    what: "Tab moves the focus out of the editor instead of indenting (press again to indent with Tab)",
  },
  { keys: ["?"], where: "outside the editor", what: "Show this list" },
  { keys: ["Esc"], where: "a dialog", what: "Close it" },
  { keys: ["←", "→"], where: "the panel tabs", what: "Switch panel (Tab then moves into it)" },
  { keys: ["←", "→", "↑", "↓"], where: "a divider", what: "Resize the panes (remembered)" },
  { keys: ["Enter", "Space"], where: "a graph node", what: "Show its properties" },
  { keys: [`${MOD}+wheel`], where: "the graph", what: "Zoom at the pointer" },
  { keys: ["wheel", "+", "−"], where: "the timeline", what: "Zoom in and out (at the pointer, or the middle with the keys)" },
  { keys: ["Shift+wheel", "Shift+drag", "←", "→"], where: "the timeline", what: "Pan along the time axis" },
  { keys: ["drag"], where: "the timeline", what: "Select a time range: its summary (time per op, kernel and module) shows below" },
  { keys: ["0", "double-click"], where: "the timeline", what: "Show everything (Esc clears the selected range)" },
  { keys: ["drag"], where: "a chart", what: "Zoom every chart to that range (Reset zoom undoes it)" },
];

export function ShortcutsHelp({ onClose }: { onClose(): void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} testId="shortcuts-help">
      <table className="op-table shortcuts">
        <thead>
          <tr>
            <th>keys</th>
            <th>where</th>
            <th>does</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.what}>
              <td>
                {s.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 && " "}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </td>
              <td>{s.where}</td>
              <td>{s.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
