import Editor, { type OnMount } from "@monaco-editor/react";
import { memo, useEffect, useRef } from "react";
import type * as MonacoNs from "monaco-editor";
import { DARK_THEME, setupMonaco, USER_MODEL_URI } from "./monaco-setup.ts";
import type { UserErrorInfo } from "../worker/protocol.ts";

const monaco = setupMonaco();

export interface CodeEditorProps {
  code: string;
  theme: "dark" | "light";
  runError: UserErrorInfo | undefined;
  onChange(code: string): void;
  onRun(): void;
  onMarkers(count: number): void;
  onReady(editor: MonacoNs.editor.IStandaloneCodeEditor): void;
}

const EDITOR_OPTIONS = {
  fontSize: 13,
  minimap: { enabled: false },
  scrollBeyondLastLine: false,
  automaticLayout: true,
  tabSize: 2,
  glyphMargin: true,
  fixedOverflowWidgets: true,
} as const;

const LOADING = <div className="editor-loading">Loading editor…</div>;

/** Memoised: the page re-renders while a run streams data, the editor must not. */
export const CodeEditor = memo(function CodeEditor({ code, theme, runError, onChange, onRun, onMarkers, onReady }: CodeEditorProps) {
  const editorRef = useRef<MonacoNs.editor.IStandaloneCodeEditor | null>(null);
  const runRef = useRef(onRun);
  runRef.current = onRun;
  const decorations = useRef<MonacoNs.editor.IEditorDecorationsCollection | null>(null);

  const onMount: OnMount = (editor) => {
    editorRef.current = editor;
    editor.addAction({
      id: "polychip.run",
      label: "Run (Polychip)",
      keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter],
      run: () => runRef.current(),
    });
    decorations.current = editor.createDecorationsCollection([]);
    monaco.editor.onDidChangeMarkers((uris) => {
      const model = editor.getModel();
      if (!model || !uris.some((u) => u.toString() === model.uri.toString())) return;
      const errors = monaco.editor
        .getModelMarkers({ resource: model.uri })
        .filter((m) => m.severity === monaco.MarkerSeverity.Error && m.owner !== "polychip-run");
      onMarkers(errors.length);
    });
    onReady(editor);
  };

  // Show the last run's error in the code: a squiggle and a highlighted line.
  useEffect(() => {
    const editor = editorRef.current;
    const model = editor?.getModel();
    if (!editor || !model) return;
    if (!runError?.line) {
      monaco.editor.setModelMarkers(model, "polychip-run", []);
      decorations.current?.set([]);
      return;
    }
    const line = Math.min(runError.line, model.getLineCount());
    const startColumn = model.getLineFirstNonWhitespaceColumn(line) || 1;
    monaco.editor.setModelMarkers(model, "polychip-run", [
      {
        severity: monaco.MarkerSeverity.Error,
        message: runError.message,
        startLineNumber: line,
        endLineNumber: line,
        startColumn,
        endColumn: model.getLineMaxColumn(line),
        source: "run",
      },
    ]);
    decorations.current?.set([
      { range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: "run-error-line", glyphMarginClassName: "run-error-glyph" } },
    ]);
    editor.revealLineInCenterIfOutsideViewport(line);
  }, [runError]);

  return (
    <Editor
      path={USER_MODEL_URI}
      defaultLanguage="typescript"
      value={code}
      theme={theme === "dark" ? DARK_THEME : "vs"}
      onChange={(v) => onChange(v ?? "")}
      onMount={onMount}
      loading={LOADING}
      options={EDITOR_OPTIONS}
    />
  );
});
