/**
 * Monaco, bundled with the app (no CDN: @monaco-editor/react is pointed at this copy), with its
 * TypeScript worker fed the engine's real sources so IntelliSense and error squiggles follow the
 * Polychip API.
 */
import * as monaco from "monaco-editor";
import { loader } from "@monaco-editor/react";
import EditorWorker from "monaco-editor/editor/editor.worker?worker";
import TsWorker from "monaco-editor/languages/features/typescript/ts.worker?worker";
import { typeSources } from "virtual:polychip-type-sources";

export const USER_MODEL_URI = "file:///workspace/main.ts";

let configured = false;

/** The editor's dark theme: vs-dark with colours that meet WCAG AA contrast. */
export const DARK_THEME = "polychip-dark";

export function setupMonaco(): typeof monaco {
  if (configured) return monaco;
  configured = true;
  (self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
    getWorker(_id: string, label: string) {
      return label === "typescript" || label === "javascript" ? new TsWorker() : new EditorWorker();
    },
  };
  loader.config({ monaco });
  // vs-dark's comment green is 4.3:1 on its background; a lighter one reaches WCAG AA's 4.5:1.
  monaco.editor.defineTheme(DARK_THEME, { base: "vs-dark", inherit: true, rules: [{ token: "comment", foreground: "7ca668" }], colors: {} });
  const ts = monaco.typescript;
  ts.typescriptDefaults.setCompilerOptions({
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    // 100 = Bundler: resolves package.json "types"/"exports" and allows the engine's ".ts" imports.
    moduleResolution: 100 as unknown as monaco.typescript.ModuleResolutionKind,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    lib: ["es2022", "dom", "dom.iterable"],
    allowNonTsExtensions: true,
  });
  ts.typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false });
  ts.typescriptDefaults.setEagerModelSync(true);
  ts.typescriptDefaults.setExtraLibs(Object.entries(typeSources).map(([filePath, content]) => ({ filePath, content })));
  return monaco;
}

let keptLib: { dispose(): void } | undefined;

/**
 * Tells the editor's type checker about the top-level variables a kept worker holds from earlier
 * runs ("keep state"), so code that uses them without declaring them is not underlined.
 */
export function setKeptDeclarations(names: readonly string[]): void {
  keptLib?.dispose();
  keptLib = undefined;
  if (!names.length) return;
  const content = `// Kept from earlier runs of this worker ("keep state"); Reset state forgets them.\n${names.map((n) => `declare let ${n}: any;`).join("\n")}\n`;
  keptLib = setupMonaco().typescript.typescriptDefaults.addExtraLib(content, "file:///workspace/kept-state.d.ts");
}

export type Monaco = typeof monaco;
