declare module "virtual:polychip-optional" {
  export interface OptionalPackageEntry {
    id: string;
    packageName: string;
    what: string;
    present: boolean;
    reason?: string;
    load?: () => Promise<Record<string, unknown>>;
  }
  export const optionalPackages: Record<"webgpu" | "npu-sim" | "onnx" | "graph" | "runtime" | "deploy", OptionalPackageEntry>;
}

declare module "virtual:polychip-type-sources" {
  /** file:///node_modules/... URI → TypeScript source. */
  export const typeSources: Record<string, string>;
}
