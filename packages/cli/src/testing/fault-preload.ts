/**
 * Preloaded (node --import) into a CLI process under test: registers the device 'faulty' with the
 * fault named by POLYCHIP_FAULT, through the engine's plugin API, before the command line is read.
 */
import { registerPlugin } from "@polychip/engine";
import { faultFromSpec, faultPlugin } from "./fault-plugin.ts";

await registerPlugin(faultPlugin("faulty", faultFromSpec(process.env.POLYCHIP_FAULT ?? "")));
