import type { HostArray } from "@polychip/hal";
import { fromHost, shareView } from "../core/dispatch.ts";
import type { RawView } from "../core/view.ts";
import type { Initializer } from "../graph/ir.ts";

/**
 * Device copies of initializers shared by the sessions of one model (an ONNX session plans once
 * per input-shape signature, and every plan holds the same weights): an initializer whose values
 * are the same host array as one already uploaded to that device shares its device buffer
 * instead of uploading a copy.
 *
 * The sessions own the references: this keeps none, so a buffer goes back to the device when the
 * last session holding it is disposed, and a later session uploads it again.
 */
export class SharedWeights {
  /** By host array, then by device, dtype and shape: the view first uploaded for them. */
  private readonly uploaded = new WeakMap<HostArray, Map<string, RawView>>();

  /** `init` on `device`: a new reference to the shared buffer while one is alive, else a fresh upload. */
  upload(init: Initializer, device: string): RawView {
    const key = `${device}|${init.dtype}|${init.shape.join(",")}`;
    let byKey = this.uploaded.get(init.data);
    const known = byKey?.get(key);
    if (known?.storage.alive) return shareView(known, known);
    const view = fromHost(init.data, init.shape, init.dtype, device);
    if (!byKey) this.uploaded.set(init.data, (byKey = new Map()));
    byKey.set(key, view);
    return view;
  }
}
