import { FLOATS } from "../families/registration.ts";
import { lineSoftmaxKernel } from "../families/softmax.ts";

export const softmaxKernel = lineSoftmaxKernel("softmax", FLOATS);
