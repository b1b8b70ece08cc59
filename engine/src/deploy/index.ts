/**
 * @polychip/engine/deploy — preparing a float32 graph for a deployment target: post-training int8
 * quantisation (calibration with min/max or percentile observers, then the rewrite into HAL 1.1
 * quantised ops) and float16 conversion.
 */
export { calibrate, type Calibration, type CalibrationBatch, type CalibrationOptions } from "./calibrate.ts";
export { quantizeGraph } from "./quantize.ts";
export { float16Graph } from "./float16.ts";
export { MinMaxObserver, PercentileObserver, createObserver, type ActivationRange, type Observer, type ObserverKind } from "./observers.ts";
export { activationParams, quantizeWeightsPerChannel, quantizeBias, type ActivationParams } from "./quant-params.ts";
export { findQuantUnits, observedValues, type QuantUnit } from "./quant-units.ts";
