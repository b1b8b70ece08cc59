import { argReduceKernel } from "../families/arg-reduce.ts";
import { NUMERIC } from "../families/registration.ts";

export const argMinKernel = argReduceKernel("argMin", NUMERIC);
