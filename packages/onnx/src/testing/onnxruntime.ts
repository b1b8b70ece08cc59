/** onnxruntime-node, a dev dependency used only by tests as an independent oracle; undefined when it is not installed. */
export async function loadOnnxRuntime(): Promise<typeof import("onnxruntime-node") | undefined> {
  try {
    return await import("onnxruntime-node");
  } catch {
    return undefined;
  }
}
