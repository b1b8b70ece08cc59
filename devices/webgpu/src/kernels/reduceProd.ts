import { PROD, reduceKernel } from "../families/reduce.ts";
import { NUMERIC } from "../families/registration.ts";

export const reduceProdKernel = reduceKernel("reduceProd", NUMERIC, PROD);
