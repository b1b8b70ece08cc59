/** Every error Polychip throws on purpose is a PolychipError, so callers can tell them from bugs. */
export class PolychipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Shapes that do not fit the op (broadcasting, matmul inner dims, reshape sizes, ...). */
export class ShapeError extends PolychipError {}
/** A dtype the op or the device does not accept. */
export class DTypeError extends PolychipError {}
/** A device that cannot be found, created or used. */
export class DeviceError extends PolychipError {}
/** A device built against a HAL version this engine cannot speak. */
export class HalVersionError extends DeviceError {}
/** The device ran out of memory. */
export class OutOfMemoryError extends DeviceError {}
/** An op name the HAL does not define, or a model op nothing can run. */
export class UnsupportedOpError extends PolychipError {}
/** A kernel threw; the message names the device, op, shapes and dtypes. */
export class KernelError extends PolychipError {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
/** A tensor used after dispose. */
export class DisposedError extends PolychipError {}
/** A file (model, dataset, checkpoint) that cannot be read. */
export class FormatError extends PolychipError {}
/** A NaN or infinity where finite numbers belong (a loss, a gradient, a weight); the message names where it first appeared. */
export class NonFiniteError extends PolychipError {}
/** A device operation (a read, a sync) that did not finish within its deadline; the message names device, op, shapes and dtypes. */
export class DeviceTimeoutError extends DeviceError {}
