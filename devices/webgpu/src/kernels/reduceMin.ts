import { MIN, reduceKernel } from "../families/reduce.ts";
import { NUMERIC } from "../families/registration.ts";

export const reduceMinKernel = reduceKernel("reduceMin", NUMERIC, MIN);
