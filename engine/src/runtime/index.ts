export { createSession, execute, readHost, Session, type SessionOptions } from "./session.ts";
export { SharedWeights } from "./shared-weights.ts";
export { checkInputs, isRawView, type HostOutput, type HostTensor, type RuntimeInput } from "./inputs.ts";
