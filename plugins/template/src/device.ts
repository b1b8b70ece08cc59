import { DTYPES, HAL_VERSION } from "@polychip/hal";
import { HostDevice } from "@polychip/plugin-sdk";

export interface TemplateDeviceOptions {
  /** Bytes of device memory (default 1 GiB). */
  readonly memoryBytes?: number;
}

/**
 * The device. It starts life as a host-memory device (the SDK's HostDevice does allocation,
 * copies, in-order execution, error wrapping and profiler events); replace alloc/write/read/
 * launch with calls into your driver as the hardware comes up.
 */
export class TemplateDevice extends HostDevice {
  constructor(options: TemplateDeviceOptions = {}) {
    const memory = options.memoryBytes ?? 2 ** 30;
    super(
      { name: "template", vendor: "TODO: your company", kind: "npu", halVersion: HAL_VERSION, details: { memoryBytes: memory } },
      {
        dtypes: DTYPES,
        limits: { maxBufferBytes: Math.min(memory, 2 ** 31 - 1), totalMemoryBytes: memory },
        // Only elementwise kernels must take strided inputs; add "strided-inputs" once every kernel does.
        features: [],
      },
      { memoryName: "device memory" },
    );
  }
}
