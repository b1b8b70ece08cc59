/**
 * @polychip/plugin-sdk/resolve (Node only): finds and imports a device plugin from a package name
 * or a path, resolved from a given directory (the caller's working directory), the way the
 * engine's loadPlugin, the CLI's --plugin and the conformance kit all do.
 */
export { loadPlugin, resolvePlugin, isDevicePlugin, pluginFromModule } from "./load-plugin.ts";
