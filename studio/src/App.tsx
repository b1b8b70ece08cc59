import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type * as MonacoNs from "monaco-editor";
import { CodeEditor } from "./editor/CodeEditor.tsx";
import { setKeptDeclarations } from "./editor/monaco-setup.ts";
import { loadSavedCode, loadSavedExample, saveCode, saveExample } from "./editor/persistence.ts";
import { DEFAULT_EXAMPLE, EXAMPLES, exampleById, type Example } from "./examples/gallery.ts";
import { describeDropped } from "./lib/dropped-files.ts";
import { download } from "./lib/download.ts";
import { describeViolation } from "./lib/csp-violation.ts";
import { deviceGuidance, dryFallbackNote, recordFallbacks } from "./lib/device-guidance.ts";
import { useDryCheck } from "./run/use-dry-check.ts";
import { codeHash, estimateRun, recordRunTime, type RunTime } from "./lib/run-estimate.ts";
import { encodeShareHash } from "./lib/share.ts";
import { useShareLinks } from "./editor/use-share-links.ts";
import { loadLayout, saveLayout } from "./editor/layout.ts";
import { Splitter } from "./panels/Splitter.tsx";
import { codeLabel } from "./examples/code-label.ts";
import { formatBytes } from "./lib/ticks.ts";
import { ChartsPanel } from "./panels/ChartsPanel.tsx";
import { ConsolePanel } from "./panels/ConsolePanel.tsx";
import { DataPanel } from "./panels/DataPanel.tsx";
import { DevicesPanel } from "./panels/DevicesPanel.tsx";
import { ExamplesGallery, missingFor } from "./panels/ExamplesGallery.tsx";
import { ANY_STUDIO_FILE, FilePickerButton } from "./panels/FilePickerButton.tsx";
import { GraphPanel } from "./panels/GraphPanel.tsx";
import { ShortcutsHelp } from "./panels/ShortcutsHelp.tsx";
import { ModelPanel, type ExportFormat } from "./panels/ModelPanel.tsx";
import { buildTrace, ProfilerPanel } from "./panels/ProfilerPanel.tsx";
import { StoppedError, WorkerHost } from "./run/worker-host.ts";
import { StudioStore } from "./state/store.ts";
import { clearRuns, listRuns, saveRun, type RunRecord } from "./state/run-history.ts";
import type { Availability, DeviceReport, ModelRunResult } from "./worker/protocol.ts";

const TABS = [
  { id: "charts", label: "Charts" },
  { id: "profiler", label: "Profiler" },
  { id: "graph", label: "Graph" },
  { id: "model", label: "Model" },
  { id: "data", label: "Data" },
  { id: "devices", label: "Devices" },
] as const;
type Tab = (typeof TABS)[number]["id"];

const store = new StudioStore();
const host = new WorkerHost();
const FASHION_MNIST_URL = new URL("data/fashion-mnist-subset/", document.baseURI).href;
let runCounter = 0;
/** localStorage key of the durations of the last runs (the device banner's estimate). */
const RUN_TIMES_KEY = "polychip.runTimes";

function loadRunTimes(): RunTime[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(RUN_TIMES_KEY) ?? "[]");
    return Array.isArray(parsed) ? (parsed as RunTime[]) : [];
  } catch {
    return [];
  }
}

/** localStorage key of the "keep state" box. */
const KEEP_WORKER_KEY = "polychip.keepWorker";

function initialTheme(): "dark" | "light" {
  const saved = localStorage.getItem("polychip-studio:theme");
  if (saved === "dark" || saved === "light") return saved;
  return window.matchMedia?.("(prefers-color-scheme: light)").matches ? "light" : "dark";
}

export function App() {
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [exampleId, setExampleId] = useState<string | undefined>(() => loadSavedExample() ?? DEFAULT_EXAMPLE);
  const [code, setCodeState] = useState<string>(() => loadSavedCode() ?? exampleById(DEFAULT_EXAMPLE)!.code);
  const codeRef = useRef(code);
  const exampleRef = useRef<Example | undefined>(undefined);
  const [tab, setTab] = useState<Tab>("charts");
  const [theme, setTheme] = useState(initialTheme);
  const [device, setDevice] = useState("cpu");
  const [galleryOpen, setGalleryOpen] = useState(false);
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const [keepWorker, setKeepWorker] = useState(() => localStorage.getItem(KEEP_WORKER_KEY) === "1");
  /** Runs the kept worker has done (0 when there is none). */
  const [keptRuns, setKeptRuns] = useState(0);
  /** Top-level variables the kept worker holds for the next run. */
  const [keptNames, setKeptNames] = useState<string[]>([]);
  useEffect(() => setKeptDeclarations(keepWorker ? keptNames : []), [keepWorker, keptNames]);
  const [runTimes, setRunTimes] = useState<RunTime[]>(loadRunTimes);
  const [markers, setMarkers] = useState(0);
  const [toast, setToast] = useState<string | undefined>();
  const [dragging, setDragging] = useState(false);
  const [exportStatus, setExportStatus] = useState<string | undefined>();
  const [fileResult, setFileResult] = useState<{ name: string; result: Availability<ModelRunResult> } | undefined>();
  const [modelAlive, setModelAlive] = useState(false);
  const [runHistory, setRunHistory] = useState<RunRecord[]>([]);
  const [currentRecord, setCurrentRecord] = useState<number | undefined>();
  const [overlay, setOverlay] = useState<ReadonlySet<number>>(new Set());
  const [layout, setLayout] = useState(loadLayout);
  const leftRef = useRef<HTMLElement | null>(null);
  useEffect(() => saveLayout(layout), [layout]);
  const editorRef = useRef<MonacoNs.editor.IStandaloneCodeEditor | null>(null);
  const run = state.run;
  const running = run?.status === "running";

  const setCode = useCallback((next: string) => {
    codeRef.current = next;
    setCodeState(next);
    saveCode(next);
  }, []);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("polychip-studio:theme", theme);
  }, [theme]);

  const currentCode = useCallback(() => codeRef.current, []);
  const replaceCode = useCallback(
    (next: string) => {
      setCode(next);
      setExampleId(undefined);
    },
    [setCode],
  );
  const warn = useCallback((text: string) => store.log("warn", text), []);
  const links = useShareLinks(currentCode, replaceCode, warn);

  // Earlier runs, kept in IndexedDB across reloads, for overlays on the charts.
  const refreshHistory = useCallback(() => {
    listRuns().then(setRunHistory, (err: Error) => store.log("warn", `the run history could not be read: ${err.message}`));
  }, []);
  useEffect(refreshHistory, [refreshHistory]);
  const keepRun = useCallback(
    (label: string) => {
      const s = store.getSnapshot();
      if (!s.run || !s.metrics.length) return;
      const { device: runDevice, status, durationMs } = s.run;
      saveRun({ at: Date.now(), label, device: runDevice, status, durationMs, metrics: s.metrics }).then(
        (id) => {
          setCurrentRecord(id);
          refreshHistory();
        },
        (err: Error) => store.log("warn", `the run was not kept in the history: ${err.message}`),
      );
    },
    [refreshHistory],
  );

  // Anything the page itself is refused by the Content-Security-Policy shows in the console panel.
  useEffect(() => {
    const onViolation = (e: SecurityPolicyViolationEvent) => store.log("error", describeViolation(e));
    document.addEventListener("securitypolicyviolation", onViolation);
    return () => document.removeEventListener("securitypolicyviolation", onViolation);
  }, []);

  // Devices and features, probed in the warm worker.
  useEffect(() => {
    const w = host.warm();
    void w.api.describeDevices().then((devices) => store.update(() => ({ devices })));
    void w.api.features().then((features) => store.update(() => ({ features })));
  }, []);

  const flash = (message: string) => {
    setToast(message);
    setTimeout(() => setToast(undefined), 2500);
  };

  const startRun = useCallback(async () => {
    if (store.getSnapshot().run?.status === "running") return;
    const id = ++runCounter;
    const label = codeLabel(codeRef.current, exampleRef.current);
    setCurrentRecord(undefined);
    store.startRun(id, device);
    setModelAlive(false);
    setExportStatus(undefined);
    const s = store.getSnapshot();
    const runCode = codeRef.current;
    try {
      const outcome = await host.run({ code: runCode, device, files: s.files, fashionMnistUrl: FASHION_MNIST_URL }, (b) => store.addBatch(id, b), {
        reuse: keepWorker,
      });
      setKeptRuns(keepWorker ? (host.current?.runs ?? 0) : 0);
      setKeptNames(outcome.kept);
      if (outcome.ok) {
        const ran: RunTime = { code: codeHash(runCode), device, ms: outcome.durationMs };
        setRunTimes((times) => {
          const next = recordRunTime(times, ran);
          localStorage.setItem(RUN_TIMES_KEY, JSON.stringify(next));
          return next;
        });
      }
      store.finishRun(id, {
        status: outcome.ok ? "done" : "error",
        error: outcome.error,
        durationMs: outcome.durationMs,
        origin: outcome.origin,
        fallback: outcome.fallback,
      });
      store.update((s) => ({ fallbackSeen: recordFallbacks(s.fallbackSeen, device, outcome.fallback) }));
      setModelAlive(true);
      const { model, shownGraphs } = store.getSnapshot();
      if ((model || shownGraphs.length) && host.current) {
        const graph = await host.current.api.graph(model ? undefined : shownGraphs[0]);
        store.update(() => ({ graph }));
      }
    } catch (err) {
      if (err instanceof StoppedError) {
        store.log("warn", "stopped: the worker was terminated and a fresh one is ready");
      } else {
        const message = (err as Error).message;
        store.finishRun(id, { status: "crashed", error: { kind: "runtime", name: "WorkerCrash", message } });
        store.log("error", `${message} — the editor kept your code; press Run to start a fresh worker`);
      }
    }
    keepRun(label);
  }, [device, keepRun, keepWorker]);

  const resetSession = () => {
    host.reset();
    setKeptRuns(0);
    setKeptNames([]);
    setModelAlive(false);
    store.log("info", "state reset: the next run starts in a fresh worker (no top-level variables, session is empty, no model)");
  };

  const startRunRef = useRef(startRun);
  startRunRef.current = startRun;
  const runFromEditor = useCallback(() => void startRunRef.current(), []);
  const onEditorReady = useCallback((e: MonacoNs.editor.IStandaloneCodeEditor) => (editorRef.current = e), []);

  const stopRun = useCallback(() => {
    const current = store.getSnapshot().run;
    if (current?.status !== "running") return;
    setKeptRuns(0);
    // Marked stopped before the worker is told, so no batch still queued for the page lands after.
    store.finishRun(current.id, { status: "stopped", durationMs: Date.now() - current.startedAt });
    host.stop();
  }, []);

  const openExample = (ex: Example) => {
    setCode(ex.code);
    setExampleId(ex.id);
    saveExample(ex.id);
    setGalleryOpen(false);
    const missing = missingFor(ex, store.getSnapshot().features);
    if (missing.length) store.log("warn", `"${ex.title}" is not available yet: ${missing.join("; ")}`);
  };

  const share = async () => {
    const hash = await encodeShareHash(codeRef.current);
    history.replaceState(null, "", hash);
    try {
      await navigator.clipboard.writeText(location.href);
      flash("Link copied: the code is in the URL");
    } catch {
      flash("The code is in the URL: copy it from the address bar");
    }
  };

  const exportModel = async (format: ExportFormat) => {
    if (!host.current) return;
    setExportStatus(`exporting ${format}…`);
    const r = await host.current.api.exportModel(format);
    if (r.ok) {
      download(r.value.fileName, r.value.bytes, r.value.mime);
      setExportStatus(`${r.value.fileName}: ${formatBytes(r.value.bytes.byteLength)} downloaded${r.value.note ? ` — ${r.value.note}` : ""}`);
    } else setExportStatus(`export failed: ${r.reason}`);
  };

  const runFile = async (name: string) => {
    const file = store.getSnapshot().files.find((f) => f.name === name);
    if (!file) return;
    const w = host.current ?? host.warm();
    const result = await w.api.runModelFile(file, device, FASHION_MNIST_URL);
    setFileResult({ name, result });
  };

  /** Shows a model file's graph in the graph view (the model viewer). */
  const viewFile = async (name: string) => {
    const file = store.getSnapshot().files.find((f) => f.name === name);
    if (!file) return;
    const w = host.current ?? host.warm();
    const graph = await w.api.viewModelFile(file);
    store.update(() => ({ graph }));
    setTab("graph");
  };

  /** Adds dropped or chosen files; a model file opens in the graph view when it came from there. */
  const addFiles = async (list: FileList, view = tab === "graph") => {
    for (const file of Array.from(list)) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (/\.(ts|js)$/.test(file.name)) {
        setCode(new TextDecoder().decode(bytes));
        setExampleId(undefined);
        flash(`${file.name} opened in the editor`);
        continue;
      }
      const summary = await describeDropped(file.name, bytes);
      store.update((s) => ({
        files: [...s.files.filter((f) => f.name !== file.name), { name: file.name, bytes }],
        fileSummaries: [...s.fileSummaries.filter((f) => f.name !== file.name), summary],
      }));
      flash(`${file.name}: ${summary.detail}${summary.error ? ` (${summary.error})` : ""}`);
      const isModel = summary.kind === "onnx" || summary.kind === "model";
      if (isModel && view && !summary.error) await viewFile(file.name);
      else setTab(isModel ? "model" : "data");
    }
  };

  // Page-wide drag and drop, and Ctrl/Cmd+Enter outside the editor.
  useEffect(() => {
    const over = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes("Files")) return;
      e.preventDefault();
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (e.relatedTarget === null) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      setDragging(false);
      if (e.dataTransfer?.files.length) void addFiles(e.dataTransfer.files);
    };
    const key = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
        e.preventDefault();
        void startRun();
      }
      // "?" opens the shortcut list, except where it is typed as text.
      const target = e.target as HTMLElement | null;
      const typing = !!target?.closest("input, textarea, select, [contenteditable], .monaco-editor");
      if (e.key === "?" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        setShortcutsOpen(true);
      }
    };
    window.addEventListener("dragover", over);
    window.addEventListener("dragleave", leave);
    window.addEventListener("drop", drop);
    window.addEventListener("keydown", key);
    return () => {
      window.removeEventListener("dragover", over);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("drop", drop);
      window.removeEventListener("keydown", key);
    };
  });

  // The hook the end-to-end tests (and curious users in the console) drive the studio through.
  useEffect(() => {
    (window as unknown as { polychipStudio: unknown }).polychipStudio = {
      getCode: () => editorRef.current?.getValue() ?? codeRef.current,
      setCode: (c: string) => {
        setCode(c);
        editorRef.current?.setValue(c);
      },
      run: () => startRun(),
      stop: () => stopRun(),
      openTab: (t: Tab) => setTab(t),
      selectDevice: (d: string) => setDevice(d),
      editorMarkers: () => markers,
      progress: () => {
        const s = store.getSnapshot();
        return { status: s.run?.status ?? "idle", steps: s.metrics.length };
      },
      snapshot: () => {
        const s = store.getSnapshot();
        return {
          status: s.run?.status ?? "idle",
          device: s.run?.device,
          error: s.run?.error,
          fallback: s.run?.fallback ?? [],
          metrics: s.metrics,
          eventCount: s.summary.eventCount,
          opRows: s.summary
            .rows()
            .map((r) => ({ name: r.name, device: r.device, category: r.category, count: r.count, totalMs: r.totalMs, argTotals: r.argTotals })),
          console: s.console,
          devices: s.devices,
          features: s.features,
          model: s.model,
          graph: s.graph,
          files: s.fileSummaries,
        };
      },
      traceJson: () => {
        const s = store.getSnapshot();
        return JSON.stringify(buildTrace(s.events, s.steps, s.run?.origin ?? 0, s.droppedEvents, s.dataSpans, s.ranges));
      },
    };
  });

  const deviceOptions: Pick<DeviceReport, "name" | "available" | "reason" | "softwareAdapter">[] = state.devices ?? [{ name: "cpu", available: true }];
  const lastStep = state.metrics[state.metrics.length - 1]?.step;
  const mem = state.memory.find((m) => m.device === (run?.device ?? device));
  const requestGraph = async (name?: string) => {
    if (!host.current) return;
    const graph = await host.current.api.graph(name);
    store.update(() => ({ graph }));
  };
  // Arrow keys move between tabs (the ARIA tabs pattern); Tab leaves the tab list.
  const onTabKey = (e: React.KeyboardEvent) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const i = TABS.findIndex((t) => t.id === tab);
    const next = TABS[(i + step + TABS.length) % TABS.length]!.id;
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  const deviceReport = state.devices?.find((d) => d.name === device);
  const dryCheck = useDryCheck(host, code, device, !!deviceReport?.available && !running, store.getSnapshot().files, FASHION_MNIST_URL);
  const lastRunOps =
    run && !running
      ? {
          device: run.device,
          ops: state.summary
            .rows()
            .filter((r) => r.category === "kernel" && r.device === run.device)
            .map((r) => r.name),
        }
      : undefined;
  const guidance = deviceGuidance(deviceReport, state.fallbackSeen[device], lastRunOps, dryCheck);
  const estimate = device === "cpu" ? undefined : estimateRun(runTimes, codeHash(code), device);
  const currentExample = useMemo(() => (exampleId ? exampleById(exampleId) : undefined), [exampleId]);
  exampleRef.current = currentExample;
  const missing = currentExample ? missingFor(currentExample, state.features) : [];

  return (
    <div className="app">
      <header className="topbar">
        <h1 className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{" "}
          Polychip <span className="muted">Studio</span>
        </h1>
        <button onClick={() => setGalleryOpen(true)} data-testid="open-gallery">
          Examples
        </button>
        <span className="example-name" title={currentExample?.summary} data-testid="code-label">
          {codeLabel(code, currentExample)}
        </span>
        <span className="spacer" />
        <label className="device-select">
          Device
          <select value={device} onChange={(e) => setDevice(e.target.value)} data-testid="device-select" disabled={running}>
            {deviceOptions.map((d) => (
              <option key={d.name} value={d.name} disabled={!d.available} title={d.reason}>
                {d.name}
                {d.available ? (d.softwareAdapter ? " (software)" : "") : " (unavailable)"}
                {dryFallbackNote(dryCheck, d.name)}
              </option>
            ))}
          </select>
        </label>
        {running ? (
          <button className="stop" onClick={stopRun} data-testid="stop">
            ■ Stop
          </button>
        ) : (
          <button className="run" onClick={() => void startRun()} data-testid="run" title="Ctrl/Cmd+Enter">
            ▶ Run
          </button>
        )}
        <label
          className="keep-worker"
          title="Run the next run in the same worker, as a notebook runs its next cell: top-level variables, functions and classes, the session object and the model are kept"
        >
          <input
            type="checkbox"
            checked={keepWorker}
            data-testid="keep-worker"
            onChange={(e) => {
              setKeepWorker(e.target.checked);
              localStorage.setItem(KEEP_WORKER_KEY, e.target.checked ? "1" : "0");
            }}
          />{" "}
          keep state
        </label>
        {keepWorker && keptRuns > 0 && (
          <button
            className="small"
            onClick={resetSession}
            data-testid="reset-session"
            data-kept={keptNames.join(",")}
            title={`End the kept worker: the next run starts from nothing.${keptNames.length ? ` Kept: ${keptNames.slice(0, 12).join(", ")}${keptNames.length > 12 ? "…" : ""}` : ""}`}
          >
            Reset state ({keptRuns} {keptRuns === 1 ? "run" : "runs"})
          </button>
        )}
        <FilePickerButton label="Open…" accept={ANY_STUDIO_FILE} onFiles={(l) => void addFiles(l)} testId="pick-any" />
        <button onClick={() => void share()} title="Put the code in the URL and copy the link">
          Share
        </button>
        <button onClick={() => setShortcutsOpen(true)} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts" data-testid="open-shortcuts">
          ?
        </button>
        <button onClick={() => setTheme(theme === "dark" ? "light" : "dark")} title="Dark / light theme" data-testid="theme">
          {theme === "dark" ? "☀" : "☾"}
        </button>
      </header>
      <main className="workspace" style={{ gridTemplateColumns: layout.editorWidth ? `${layout.editorWidth}px 6px 1fr` : undefined }}>
        <section className="left" ref={leftRef}>
          {links.offered !== undefined && (
            <div className="banner" role="alert" data-testid="share-offer">
              This link holds shared code ({links.offered.split("\n").length} lines). Your own code stays as it is until you choose.{" "}
              <button className="small" onClick={links.openOffered} data-testid="share-open">
                Open the shared code
              </button>{" "}
              <button className="small" onClick={links.keepMine} data-testid="share-keep">
                Keep my code
              </button>
            </div>
          )}
          {links.offered === undefined && links.before !== undefined && (
            <div className="banner" data-testid="share-before">
              Your code from before you opened a shared link is kept.{" "}
              <button className="small" onClick={links.restoreBefore} data-testid="share-restore">
                Restore my code
              </button>{" "}
              <button className="small" onClick={links.dismissBefore}>
                Discard it
              </button>
            </div>
          )}
          {!running &&
            guidance.map((g) => (
              <div key={g.text} className={`banner guidance-${g.level}`} role="status" data-testid="device-guidance">
                {g.text}
              </div>
            ))}
          {!running && estimate && (
            <div className="banner guidance-info" role="status" data-testid="device-estimate">
              Estimated run time on {device}: {estimate.text}.
            </div>
          )}
          {missing.length > 0 && (
            <div className="banner" data-testid="example-unavailable">
              Not available yet in this build: {missing.join("; ")}
            </div>
          )}
          <div className="editor-wrap">
            <CodeEditor
              code={code}
              theme={theme}
              runError={run?.error}
              onChange={setCode}
              onRun={runFromEditor}
              onMarkers={setMarkers}
              onReady={onEditorReady}
            />
          </div>
          <Splitter
            orientation="horizontal"
            label="Resize the console"
            size={layout.consoleHeight}
            min={60}
            max={Math.max(120, innerHeight - 220)}
            sizesNext
            onResize={(consoleHeight) => setLayout((l) => ({ ...l, consoleHeight }))}
            testId="split-console"
          />
          <ConsolePanel
            height={layout.consoleHeight}
            entries={state.console}
            onClear={() => store.update(() => ({ console: [] }))}
            onGoToLine={(line) => {
              editorRef.current?.revealLineInCenter(line);
              editorRef.current?.setPosition({ lineNumber: line, column: 1 });
              editorRef.current?.focus();
            }}
          />
        </section>
        <Splitter
          orientation="vertical"
          label="Resize the editor and the panels"
          size={layout.editorWidth || leftRef.current?.offsetWidth || 500}
          min={320}
          max={Math.max(400, innerWidth - 360)}
          onResize={(editorWidth) => setLayout((l) => ({ ...l, editorWidth }))}
          testId="split-editor"
        />
        <section className="right">
          <div className="tabs" role="tablist" aria-label="Panels" onKeyDown={onTabKey}>
            {TABS.map((t) => (
              <button
                key={t.id}
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={tab === t.id}
                aria-controls="tab-panel"
                tabIndex={tab === t.id ? 0 : -1}
                className={tab === t.id ? "active" : ""}
                onClick={() => setTab(t.id)}
                data-tab={t.id}
              >
                {t.label}
                {t.id === "profiler" && state.run?.fallback.length ? <span className="dot red" title="some ops fell back to the CPU" /> : null}
              </button>
            ))}
          </div>
          <div className="tab-body" role="tabpanel" id="tab-panel" aria-labelledby={`tab-${tab}`} tabIndex={0}>
            {tab === "charts" && (
              <ChartsPanel
                metrics={state.metrics}
                running={running}
                history={runHistory}
                currentRecord={currentRecord}
                overlay={overlay}
                onToggleOverlay={(id) =>
                  setOverlay((o) => {
                    const next = new Set(o);
                    if (!next.delete(id)) next.add(id);
                    return next;
                  })
                }
                onClearHistory={() => void clearRuns().then(refreshHistory)}
              />
            )}
            {tab === "profiler" && (
              <ProfilerPanel
                events={state.events}
                ranges={state.ranges}
                steps={state.steps}
                data={state.dataSpans}
                origin={run?.origin ?? 0}
                summary={state.summary}
                droppedEvents={state.droppedEvents}
                fallback={run?.fallback ?? []}
                version={state.version}
                running={running}
              />
            )}
            {tab === "graph" && (
              <GraphPanel
                graph={state.graph}
                hasModel={!!state.model && modelAlive}
                onRequest={(name) => void requestGraph(name)}
                shownGraphs={modelAlive ? state.shownGraphs : []}
                onFiles={(l) => void addFiles(l, true)}
              />
            )}
            {tab === "model" && (
              <ModelPanel
                onFiles={(l) => void addFiles(l)}
                model={state.model}
                modelAlive={modelAlive}
                features={state.features}
                exportStatus={exportStatus}
                onExport={(f) => void exportModel(f)}
                files={state.fileSummaries}
                onRunFile={(n) => void runFile(n)}
                onViewFile={(n) => void viewFile(n)}
                fileResult={fileResult}
              />
            )}
            {tab === "data" && (
              <DataPanel
                onFiles={(l) => void addFiles(l)}
                baseUrl={FASHION_MNIST_URL}
                files={state.fileSummaries}
                onRemove={(name) =>
                  store.update((s) => ({ files: s.files.filter((f) => f.name !== name), fileSummaries: s.fileSummaries.filter((f) => f.name !== name) }))
                }
              />
            )}
            {tab === "devices" && <DevicesPanel devices={state.devices} selected={device} onSelect={setDevice} />}
          </div>
        </section>
      </main>
      <footer className="statusbar" data-testid="status">
        <span className={`status-${run?.status ?? "idle"}`} data-testid="run-status">
          {run ? run.status : "ready"}
          {run?.status === "error" && run.error ? ` — ${run.error.message}${run.error.line ? ` (line ${run.error.line})` : ""}` : ""}
        </span>
        {run && <span>on {run.device}</span>}
        {lastStep !== undefined && <span>step {lastStep}</span>}
        {run?.durationMs !== undefined && <span>{(run.durationMs / 1000).toFixed(1)} s</span>}
        {mem && (
          <span>
            {mem.tensors} tensors · {formatBytes(mem.bytes)} on {mem.device}
          </span>
        )}
        <span className="spacer" />
        <span className={markers ? "error-text" : "muted"}>{markers ? `${markers} problem${markers > 1 ? "s" : ""} in the code` : "no problems"}</span>
        <span className="muted">{EXAMPLES.length} examples · Ctrl/Cmd+Enter runs · ? lists the shortcuts</span>
      </footer>
      {shortcutsOpen && <ShortcutsHelp onClose={() => setShortcutsOpen(false)} />}
      {galleryOpen && <ExamplesGallery features={state.features} current={exampleId} onOpen={openExample} onClose={() => setGalleryOpen(false)} />}
      {dragging && <div className="drop-overlay">Drop IDX, CSV, .onnx or model files (or a .ts file to open it)</div>}
      {toast && <div className="toast">{toast}</div>}
    </div>
  );
}
