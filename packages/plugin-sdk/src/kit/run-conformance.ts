import {
  allOps,
  assertHalCompatible,
  DeviceError,
  DTypeError,
  ELEMENTWISE_FAMILIES,
  getOp,
  hasOp,
  KernelRegistry,
  UnsupportedOpError,
  type Device,
  type DevicePlugin,
  type DType,
  type OpDef,
  type TensorMeta,
} from "@polychip/hal";
import { cpuPlugin } from "@polychip/device-cpu";
import { generatorFor, type ConformanceCase } from "./cases/index.ts";
import { compareValues, toleranceFor } from "./compare.ts";
import { checkClaims, type ClaimRecord } from "./check-claims.ts";
import { OpExecutor } from "./executor.ts";
import { formatJson, formatTable } from "./report.ts";
import { allocOutput, decode, download, encode, upload } from "./tensors.ts";

/**
 * pass / fail: the device's kernel against the reference. decomposed: no kernel for a composite, so
 * the engine runs its HAL decomposition on the device (its primitives are checked in their own
 * rows). missing: no kernel for a primitive, so the engine falls back to the CPU. untested: the
 * reference could not run any case.
 */
export type CellStatus = "pass" | "fail" | "decomposed" | "missing" | "untested";

/** One case of one (op, dtype) cell. `missing` cells get a single record with case "-". */
export interface CaseRecord {
  readonly op: string;
  readonly dtype: DType;
  readonly case: string;
  readonly status: "pass" | "fail" | "decomposed" | "missing" | "skipped";
  readonly maxError: number | null;
  readonly message?: string;
}

export interface CellResult {
  readonly op: string;
  readonly dtype: DType;
  readonly status: CellStatus;
  readonly cases: number;
  readonly failedCases: number;
  /** Largest error over the cell's cases (null when nothing was compared). */
  readonly maxError: number | null;
}

export interface ConformanceReport {
  readonly plugin: string;
  readonly device: string;
  readonly halVersion: string;
  readonly dtypes: readonly DType[];
  readonly cells: readonly CellResult[];
  readonly records: readonly CaseRecord[];
  /** The plugin's subgraph claims on the kit's graph corpus, each checked against op-by-op cpu results. */
  readonly claims: readonly ClaimRecord[];
  readonly notes: readonly string[];
  readonly passed: number;
  readonly failed: number;
  readonly missing: number;
  readonly decomposed: number;
  /** "N passed, N failed, N missing", then ", N decomposed on the device" and "; claims: N passed, N failed" when there are any */
  readonly summary: string;
  readonly ok: boolean;
  /** The table (or, with `json`, the JSON records) ready to print; the summary line is its last line. */
  readonly output: string;
}

export interface ConformanceOptions {
  /** Only these ops (HAL names); default every HAL op. */
  readonly ops?: readonly string[];
  /** Make `output` the per-case records as JSON instead of the table. */
  readonly json?: boolean;
  /** Options passed to `plugin.create`. */
  readonly deviceOptions?: unknown;
  /** The oracle; default the CPU reference device. */
  readonly reference?: DevicePlugin;
}

/**
 * The conformance kit: every HAL op × every dtype the plugin's device declares, over the kit's
 * case table, against the CPU reference. A primitive the plugin has no kernel for is "missing"
 * (the engine falls back to the CPU), a composite "decomposed" (the engine runs its decomposition
 * on the device); neither is a failure. A kernel that throws, writes wrong values or
 * touches its inputs fails.
 */
export async function runConformance(plugin: DevicePlugin, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  assertHalCompatible(`plugin '${plugin.name}'`, plugin.halVersion);
  const ops = selectOps(options.ops);
  const notes: string[] = [];
  const reference = options.reference ?? cpuPlugin;
  const device = (await plugin.create(options.deviceOptions as never)) as Device;
  let refDevice: Device | undefined;
  const cells: CellResult[] = [];
  const records: CaseRecord[] = [];
  let claims: ClaimRecord[] = [];
  const dtypes = device.capabilities.dtypes;
  try {
    refDevice = (await reference.create()) as Device;
    const registry = new KernelRegistry();
    for (const reg of plugin.kernels) {
      try {
        registry.register(reg);
      } catch (err) {
        if (!(err instanceof UnsupportedOpError)) throw err;
        notes.push(`ignored a kernel for '${reg.op}': the HAL does not define that op`);
      }
    }
    // The engine refuses a list with kernels for another device or duplicates; so does the kit, with the engine's words.
    new KernelRegistry().registerDevice(
      device.info.name,
      plugin.name,
      plugin.kernels.filter((r) => hasOp(r.op)),
    );
    const refRegistry = new KernelRegistry();
    refRegistry.registerAll(reference.kernels);
    const dut = new OpExecutor(device, registry, false);
    const oracle = new OpExecutor(refDevice, refRegistry, true);
    for (const op of ops) {
      const generate = generatorFor(op);
      if (!generate) {
        notes.push(`the kit has no cases for '${op.name}'`);
        continue;
      }
      const stridedInputs = ELEMENTWISE_FAMILIES.includes(op.family) || device.capabilities.features.includes("strided-inputs");
      for (const dtype of dtypes) {
        const cases = generate({ op, dtype, deviceDTypes: dtypes, stridedInputs });
        if (cases.length === 0 || !accepts(op, cases[0]!)) continue;
        if (!dut.hasKernel(op.name, dtype)) {
          const status = op.decompose ? "decomposed" : "missing";
          const message = op.decompose ? "no kernel registered: the HAL's decomposition runs on the device" : "no kernel registered: falls back to the CPU";
          cells.push({ op: op.name, dtype, status, cases: 0, failedCases: 0, maxError: null });
          records.push({ op: op.name, dtype, case: "-", status, maxError: null, message });
          continue;
        }
        const cellRecords: CaseRecord[] = [];
        for (const c of cases) cellRecords.push(await runCase(op, dtype, c, dut, oracle));
        records.push(...cellRecords);
        cells.push(summarise(op.name, dtype, cellRecords));
      }
    }
    if (!options.ops) claims = await checkClaims(plugin, device, oracle, dtypes);
  } finally {
    // The CPU device may hold worker threads; disposing both devices lets the process exit.
    await device.dispose?.();
    await refDevice?.dispose?.();
  }

  const count = (s: CellStatus) => cells.filter((c) => c.status === s).length;
  const passed = count("pass");
  const failed = count("fail");
  const missing = count("missing");
  const decomposed = count("decomposed");
  const claimsFailed = claims.filter((c) => c.status === "fail").length;
  const claimSummary = claims.length ? `; claims: ${claims.length - claimsFailed} passed, ${claimsFailed} failed` : "";
  const summary = `${passed} passed, ${failed} failed, ${missing} missing${decomposed ? `, ${decomposed} decomposed on the device` : ""}${claimSummary}`;
  const base = {
    plugin: plugin.name,
    device: device.info.name,
    halVersion: plugin.halVersion,
    dtypes,
    cells,
    records,
    claims,
    notes,
    passed,
    failed,
    missing,
    decomposed,
    summary,
    ok: failed === 0 && claimsFailed === 0,
  };
  return { ...base, output: options.json ? formatJson(base) : formatTable(base) };
}

function selectOps(names: readonly string[] | undefined): OpDef[] {
  if (!names || names.length === 0) return allOps();
  return names.map((n) => getOp(n)); // throws UnsupportedOpError naming the unknown op
}

/** Whether the HAL's own shape/dtype inference admits the (op, dtype) pair; DTypeError means "not applicable". */
function accepts(op: OpDef, c: ConformanceCase): boolean {
  try {
    op.infer(metas(c), c.attrs);
    return true;
  } catch (err) {
    if (err instanceof DTypeError) return false;
    throw new Error(`kit bug: case '${c.name}' of ${op.name} is rejected by the HAL: ${(err as Error).message}`);
  }
}

function metas(c: ConformanceCase): TensorMeta[] {
  return c.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype }));
}

function summarise(op: string, dtype: DType, records: readonly CaseRecord[]): CellResult {
  const compared = records.filter((r) => r.status !== "skipped");
  const failedCases = records.filter((r) => r.status === "fail").length;
  const errors = compared.map((r) => r.maxError ?? Infinity);
  const status: CellStatus = failedCases > 0 ? "fail" : compared.length === 0 ? "untested" : "pass";
  return { op, dtype, status, cases: compared.length, failedCases, maxError: errors.length ? Math.max(...errors) : null };
}

async function runCase(op: OpDef, dtype: DType, c: ConformanceCase, dut: OpExecutor<any>, oracle: OpExecutor<any>): Promise<CaseRecord> {
  const base = { op: op.name, dtype, case: c.name };
  const outMetas = op.infer(metas(c), c.attrs);
  let want: Float64Array[];
  try {
    want = await execute(oracle, op.name, c, outMetas);
  } catch (err) {
    return { ...base, status: "skipped", maxError: null, message: `the reference could not run this case: ${(err as Error).message}` };
  } finally {
    oracle.releaseAll();
  }
  let got: Float64Array[];
  try {
    got = await execute(dut, op.name, c, outMetas, true);
  } catch (err) {
    return { ...base, status: "fail", maxError: null, message: `${(err as Error).name}: ${(err as Error).message}` };
  } finally {
    dut.releaseAll();
  }
  let maxError = 0;
  for (let i = 0; i < outMetas.length; i++) {
    const dt = outMetas[i]!.dtype;
    const cmp = compareValues(dt, got[i]!, want[i]!, toleranceFor(dt, c.accumulation));
    maxError = Math.max(maxError, cmp.maxError);
    if (!cmp.ok) {
      const f = cmp.first!;
      return {
        ...base,
        status: "fail",
        maxError,
        message: `${cmp.mismatches} of ${want[i]!.length} elements differ; first at ${f.index}: got ${f.got}, want ${f.want}`,
      };
    }
  }
  return { ...base, status: "pass", maxError };
}

/** Uploads the case, runs it, returns its outputs; for the device under test also checks the inputs were left alone. */
async function execute(exec: OpExecutor<any>, op: string, c: ConformanceCase, outMetas: readonly TensorMeta[], checkInputs = false): Promise<Float64Array[]> {
  const device = exec.device;
  const inputs = c.inputs.map((t) => exec.track(upload(device, t)));
  const outputs = outMetas.map((m) => exec.track(allocOutput(device, m.dtype, m.shape, c.output)));
  exec.execute(op, inputs, outputs, c.attrs);
  await device.sync();
  const results = await Promise.all(outputs.map((o) => download(device, o, c.output)));
  if (checkInputs) {
    for (let i = 0; i < inputs.length; i++) {
      const t = c.inputs[i]!;
      const before = decode(t.dtype, encode(t.dtype, t.storage));
      const after = await download(device, inputs[i]!, { strides: [], offset: 0, storageLength: before.length, fill: 0 });
      const same = compareValues(t.dtype, after, before, { rtol: 0, atol: 0 });
      if (!same.ok)
        throw new DeviceError(`the kernel wrote into input ${i} (element ${same.first!.index} changed from ${same.first!.want} to ${same.first!.got})`);
    }
  }
  return results;
}
