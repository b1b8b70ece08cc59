/** Gunzip with the web platform's DecompressionStream (browsers and workers; Node 20 has it too). */
export async function gunzipWithStream(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
