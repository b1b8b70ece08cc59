/** @polychip/plugin-sdk/scaffold: writes a new plugin package from the SDK's template. */
export {
  createPlugin,
  pluginNames,
  templateFiles,
  renderTemplateFile,
  TEMPLATE_DIR,
  type CreatePluginOptions,
  type CreatePluginResult,
  type PluginNames,
} from "./create-plugin.ts";
export { createPluginMain } from "./cli.ts";
