export interface CachedPipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export interface PipelineCacheStats {
  hits: number;
  misses: number;
}

/**
 * Compiled pipelines by key (op, dtypes, shape class and parameter layout; never concrete sizes,
 * which travel in uniforms), so a training loop compiles each kernel once.
 */
export class PipelineCache {
  private readonly pipelines = new Map<string, CachedPipeline>();
  readonly stats: PipelineCacheStats = { hits: 0, misses: 0 };

  constructor(
    private readonly device: GPUDevice,
    /** Told about each compile, with its wall time, and the validation error promise of that compile. */
    private readonly onCompile: (key: string, ms: number, error: Promise<GPUError | null>, code: string) => void,
  ) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(key: string, wgsl: () => string): CachedPipeline {
    const hit = this.pipelines.get(key);
    if (hit) {
      this.stats.hits++;
      return hit;
    }
    this.stats.misses++;
    const code = wgsl();
    const start = performance.now();
    this.device.pushErrorScope("validation");
    const module = this.device.createShaderModule({ code, label: key });
    const pipeline = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label: key });
    const error = this.device.popErrorScope();
    this.onCompile(key, performance.now() - start, error, code);
    const entry = { pipeline, layout: pipeline.getBindGroupLayout(0) };
    this.pipelines.set(key, entry);
    return entry;
  }

  clear(): void {
    this.pipelines.clear();
  }
}
