/**
 * The WebAssembly binary format, as much of it as the cpu kernels need: one imported memory,
 * functions with numeric and v128 values, exports, and data segments (constant tables written into
 * the memory at instantiation). Code is built as nested arrays of bytes
 * (cheap to compose) and flattened once per function.
 */

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128";

/** Bytes, or nested lists of bytes, in emission order. */
export type Code = number | readonly Code[];

const TYPE_CODES: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

export function typeCode(type: ValType): number {
  return TYPE_CODES[type];
}

export function uleb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`uleb: ${value} is not a non-negative integer`);
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (values above 2^31 are taken modulo 2^32, as i32 constants are). */
export function sleb32(value: number): number[] {
  let v = value | 0;
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export function f32Bytes(value: number): number[] {
  return [...new Uint8Array(new Float32Array([value]).buffer)];
}

export function f64Bytes(value: number): number[] {
  return [...new Uint8Array(new Float64Array([value]).buffer)];
}

function utf8(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

function vector(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

export function flatten(code: Code, out: number[] = []): number[] {
  if (typeof code === "number") out.push(code);
  else for (const c of code) flatten(c, out);
  return out;
}

/** A function being assembled: parameters are locals 0..n-1, further locals are added on demand. */
export class FunctionBuilder {
  readonly localTypes: ValType[] = [];

  constructor(
    readonly name: string,
    readonly index: number,
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  /** A fresh local of `type`; returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }
}

interface Declared {
  readonly fn: FunctionBuilder;
  readonly body: (fn: FunctionBuilder) => Code;
  readonly exported: boolean;
}

export interface MemoryImport {
  readonly module: string;
  readonly name: string;
  readonly initialPages: number;
  readonly maximumPages: number;
  readonly shared: boolean;
}

/**
 * Collects functions and writes the module. Bodies are generated at `encode()` time, after every
 * function has been declared, so functions may call each other in any order.
 */
export class ModuleBuilder {
  private readonly functions: Declared[] = [];
  private readonly segments = new Map<number, Uint8Array>();

  constructor(private readonly memory: MemoryImport) {}

  /** Declares a function; `body` receives its builder (for locals) and returns its code. */
  func(name: string, params: readonly ValType[], results: readonly ValType[], body: (fn: FunctionBuilder) => Code, exported = true): FunctionBuilder {
    if (this.functions.some((d) => d.fn.name === name)) throw new Error(`wasm: function ${name} declared twice`);
    const fn = new FunctionBuilder(name, this.functions.length, params, results);
    this.functions.push({ fn, body, exported });
    return fn;
  }

  /**
   * Bytes the instantiation writes into the memory at `address` (an active data segment). Declaring
   * the same bytes at the same address again is a no-op, so independent emitters may share a table.
   */
  data(address: number, bytes: Uint8Array): void {
    const existing = this.segments.get(address);
    if (existing && (existing.length !== bytes.length || existing.some((b, i) => b !== bytes[i]))) {
      throw new Error(`wasm: two different data segments at address ${address}`);
    }
    this.segments.set(address, bytes);
  }

  exportedNames(): string[] {
    return this.functions.filter((d) => d.exported).map((d) => d.fn.name);
  }

  encode(): Uint8Array<ArrayBuffer> {
    const signatures: string[] = [];
    const typeIndex = (fn: FunctionBuilder) => {
      const key = `${fn.params.join(",")}->${fn.results.join(",")}`;
      let i = signatures.indexOf(key);
      if (i < 0) i = signatures.push(key) - 1;
      return i;
    };
    const funcTypes = this.functions.map((d) => typeIndex(d.fn));
    const types = signatures.map((key) => {
      const [params, results] = key.split("->").map((s) => (s ? (s.split(",") as ValType[]) : []));
      return [0x60, ...vector(params!.map((t) => [typeCode(t)])), ...vector(results!.map((t) => [typeCode(t)]))];
    });
    const m = this.memory;
    const limits = m.shared ? [0x03, ...uleb(m.initialPages), ...uleb(m.maximumPages)] : [0x01, ...uleb(m.initialPages), ...uleb(m.maximumPages)];
    const imports = [[...utf8(m.module), ...utf8(m.name), 0x02, ...limits]];
    const exports = this.functions.filter((d) => d.exported).map((d) => [...utf8(d.fn.name), 0x00, ...uleb(d.fn.index)]);
    const bodies = this.functions.map(({ fn, body }) => {
      const code = flatten(body(fn));
      // Locals are declared in runs of one type.
      const runs: number[][] = [];
      for (let i = 0; i < fn.localTypes.length; ) {
        let j = i;
        while (j < fn.localTypes.length && fn.localTypes[j] === fn.localTypes[i]) j++;
        runs.push([...uleb(j - i), typeCode(fn.localTypes[i]!)]);
        i = j;
      }
      const payload = [...vector(runs), ...code, 0x0b];
      return [...uleb(payload.length), ...payload];
    });
    return new Uint8Array([
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00,
      ...section(1, vector(types)),
      ...section(2, vector(imports)),
      ...section(3, vector(funcTypes.map((t) => uleb(t)))),
      ...section(7, vector(exports)),
      ...section(10, vector(bodies)),
      ...(this.segments.size > 0 ? section(11, this.dataSegments()) : []),
    ]);
  }

  /** Active segments of memory 0: flag 0, the i32.const address, the bytes. */
  private dataSegments(): number[] {
    const out = uleb(this.segments.size);
    for (const [address, bytes] of this.segments) {
      out.push(0x00, 0x41, ...sleb32(address), 0x0b, ...uleb(bytes.length));
      for (const b of bytes) out.push(b);
    }
    return out;
  }
}
