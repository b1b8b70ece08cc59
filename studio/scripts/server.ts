/**
 * Builds the studio and serves the built files with Vite's preview server on 127.0.0.1 (with the
 * COOP/COEP headers). Used by `pnpm studio` and by the end-to-end tests, which need a free port.
 */
import { createServer } from "node:net";
import { join } from "node:path";
import { build, preview, type PreviewServer } from "vite";
import { STUDIO_DIR } from "../build/workspace.ts";

export interface StudioServer {
  url: string;
  close(): Promise<void>;
}

export interface StudioServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Skip the build and serve the existing dist/ (tests that already built it). */
  skipBuild?: boolean;
  quiet?: boolean;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Builds the studio into studio/dist. */
export async function buildStudio(options: { quiet?: boolean } = {}): Promise<void> {
  await build({ root: STUDIO_DIR, configFile: join(STUDIO_DIR, "vite.config.ts"), logLevel: options.quiet ? "warn" : "info" });
}

export async function startStudioServer(options: StudioServerOptions = {}): Promise<StudioServer> {
  const configFile = join(STUDIO_DIR, "vite.config.ts");
  if (!options.skipBuild) await buildStudio({ quiet: options.quiet });
  const port = options.port || (await freePort());
  const server: PreviewServer = await preview({
    root: STUDIO_DIR,
    configFile,
    logLevel: options.quiet ? "error" : "warn",
    preview: { host: "127.0.0.1", port, strictPort: true, open: false },
  });
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.httpServer.close(() => resolve());
        (server.httpServer as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
