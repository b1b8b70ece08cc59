import { SUM, reduceKernel } from "../families/reduce.ts";
import { NUMERIC } from "../families/registration.ts";

export const reduceSumKernel = reduceKernel("reduceSum", NUMERIC, SUM);
