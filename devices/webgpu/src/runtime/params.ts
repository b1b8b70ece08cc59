/**
 * A kernel's uniform parameters: a flat list of 32-bit words, read in WGSL through one accessor
 * function per name. The same object produces the words and the WGSL, so the two cannot drift;
 * `signature` goes into the pipeline key because it fixes the layout.
 */
type WordKind = "u32" | "i32" | "f32";

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

function toWord(kind: WordKind, value: number): number {
  if (kind === "f32") {
    f32Scratch[0] = value;
    return u32Scratch[0]!;
  }
  return kind === "i32" ? value | 0 : value >>> 0;
}

export class ParamBlock {
  private readonly words: number[] = [];
  private readonly accessors: string[] = [];
  private readonly parts: string[] = [];

  u32(name: string, value: number | readonly number[]): this {
    return this.add(name, "u32", value);
  }
  i32(name: string, value: number | readonly number[]): this {
    return this.add(name, "i32", value);
  }
  f32(name: string, value: number | readonly number[]): this {
    return this.add(name, "f32", value);
  }

  /**
   * A value baked into the shader as a literal: it takes no word, and its value joins the
   * signature, so each distinct value gets its own pipeline. For sizes a kernel divides by in its
   * inner loop (a convolution's geometry): a division by a constant compiles to a multiply and a
   * shift, one by a uniform to a long instruction sequence.
   */
  constU32(name: string, value: number): this {
    return this.addConst(name, "u32", value);
  }
  constI32(name: string, value: number): this {
    return this.addConst(name, "i32", value);
  }

  private addConst(name: string, kind: "u32" | "i32", value: number): this {
    const word = toWord(kind, value);
    const literal = kind === "u32" ? `${word}u` : `${word | 0}i`;
    this.accessors.push(`fn prm_${name}() -> ${kind} { return ${literal}; }`);
    this.parts.push(`${name}=${literal}`);
    return this;
  }

  private add(name: string, kind: WordKind, value: number | readonly number[]): this {
    const base = this.words.length;
    const read = (index: string) => (kind === "u32" ? `P(${index})` : kind === "i32" ? `bitcast<i32>(P(${index}))` : `bitcast<f32>(P(${index}))`);
    if (typeof value === "number") {
      this.words.push(toWord(kind, value));
      this.accessors.push(`fn prm_${name}() -> ${kind} { return ${read(`${base}u`)}; }`);
      this.parts.push(`${name}:${kind}`);
    } else {
      for (const v of value) this.words.push(toWord(kind, v));
      // An empty list still gets an accessor so generated code can be uniform; it is never called.
      this.accessors.push(`fn prm_${name}(i: u32) -> ${kind} { return ${read(`${base}u + i`)}; }`);
      this.parts.push(`${name}:${kind}[${value.length}]`);
    }
    return this;
  }

  get signature(): string {
    return this.parts.join(",");
  }

  /** The words, padded to whole vec4s (the uniform array's element). */
  data(): Uint32Array {
    const out = new Uint32Array(this.vec4Count * 4);
    out.set(this.words);
    return out;
  }

  get vec4Count(): number {
    return Math.max(1, Math.ceil(this.words.length / 4));
  }

  /** Binding 0 of every kernel, with its accessors. */
  wgsl(): string {
    return [
      `@group(0) @binding(0) var<uniform> params: array<vec4<u32>, ${this.vec4Count}>;`,
      `fn P(i: u32) -> u32 { return params[i / 4u][i % 4u]; }`,
      ...this.accessors,
    ].join("\n");
  }
}
