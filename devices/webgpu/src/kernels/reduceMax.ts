import { MAX, reduceKernel } from "../families/reduce.ts";
import { NUMERIC } from "../families/registration.ts";

export const reduceMaxKernel = reduceKernel("reduceMax", NUMERIC, MAX);
