/**
 * Before Run on a device other than the cpu: a dry run of the current code's first step on that
 * device, in a throwaway worker, to learn which of this program's ops fall back there. Started a
 * moment after the code or device last changed; remembered per code and device.
 */
import { useEffect, useRef, useState } from "react";
import type { DryCheck } from "../lib/device-guidance.ts";
import { codeHash } from "../lib/run-estimate.ts";
import type { DroppedFile } from "../user-api/run-context.ts";
import type { WorkerHost } from "./worker-host.ts";

/** Quiet time after the last edit before a dry run starts (typing must not start one per key). */
const SETTLE_MS = 1200;
/** A dry run that has not reached its first logged step by then is given up. */
const LIMIT_S = 20;

export function useDryCheck(
  host: WorkerHost,
  code: string,
  device: string,
  enabled: boolean,
  files: DroppedFile[],
  fashionMnistUrl: string,
): DryCheck | undefined {
  const done = useRef(new Map<string, DryCheck>());
  const [check, setCheck] = useState<DryCheck | undefined>();
  const hash = codeHash(code);
  const key = `${device}/${hash}`;

  useEffect(() => {
    if (device === "cpu" || !enabled) {
      setCheck(undefined);
      return;
    }
    const known = done.current.get(key);
    if (known) {
      setCheck(known);
      return;
    }
    setCheck(undefined);
    let current = true;
    const timer = setTimeout(() => {
      setCheck({ device, code: hash, state: "checking", fallback: [], limitS: LIMIT_S });
      void host.dryRun({ code, device, files, fashionMnistUrl }, LIMIT_S * 1000).then((outcome) => {
        if (!current || outcome === "cancelled") return;
        const result: DryCheck = {
          device,
          code: hash,
          state: outcome === "unfinished" ? "unfinished" : outcome.ok ? "done" : "failed",
          fallback: outcome === "unfinished" ? [] : outcome.fallback,
          limitS: LIMIT_S,
        };
        done.current.set(key, result);
        setCheck(result);
      });
    }, SETTLE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
      host.cancelDryRun();
    };
    // code and files are read when the dry run starts; key already changes with the code.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, enabled, host]);

  return check && check.device === device && check.code === hash ? check : undefined;
}
