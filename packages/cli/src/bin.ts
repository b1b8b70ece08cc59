import { getDeviceDeadline } from "@polychip/engine";
import { runToExit } from "./exit-guard.ts";
import { main } from "./main.ts";
import { startWatchdog } from "./watchdog.ts";

// A kernel stuck in a loop blocks every timer on this thread; the watchdog thread notices.
await startWatchdog(getDeviceDeadline().baseMs);
runToExit(() => main(process.argv.slice(2)));
