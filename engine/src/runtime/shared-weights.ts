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
  /** A number per host array, naming its values in the keys of computed values. */
  private readonly ids = new WeakMap<HostArray, number>();
  /**
   * Values computed from the weights at load (weight-only.ts), by what computed them: the views the
   * latest session holding them has, weakly, so that once every such session is disposed nothing
   * here keeps a freed buffer's handle reachable.
   */
  private readonly computedValues = new Map<string, readonly WeakRef<RawView>[]>();
  private nextId = 0;

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

  /** A key for `init`'s values on `device`, the same for every initializer holding the same host array. */
  keyOf(init: Initializer, device: string): string {
    let id = this.ids.get(init.data);
    if (id === undefined) this.ids.set(init.data, (id = this.nextId++));
    return `w${id}|${device}|${init.dtype}|${init.shape.join(",")}`;
  }

  /**
   * The values `key` names (weightOnlyKey): new references to the ones the latest session got,
   * while all are alive, else `compute()`'s; the caller owns them as it owns an upload's.
   */
  computed(key: string, compute: () => RawView[]): RawView[] {
    const known = this.computedValues.get(key)?.map((ref) => ref.deref());
    const alive = known?.every((v) => v?.storage.alive) ? (known as RawView[]) : undefined;
    const views = alive ? alive.map((v) => shareView(v, v)) : compute();
    this.computedValues.set(
      key,
      views.map((v) => new WeakRef(v)),
    );
    return views;
  }
}
