export { compile, type CompileOptions, type CompileStats, type Compiled } from "./compile.ts";
