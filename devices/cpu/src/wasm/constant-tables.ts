/**
 * Fixed addresses in the cpu device's memory for constant tables that WASM modules write there
 * themselves, by data segments at instantiation (every instance writes the same bytes, so workers
 * instantiating a module while another thread reads the table see the same values). The arena never
 * hands these bytes out (runtime/arena.ts); a table placed here must fit below CONSTANT_TABLES_END.
 */

/** Where the tables start: the first 4 KiB stay unused, address 0 meaning "none" to the kernels. */
export const CONSTANT_TABLES_START = 4096;
/** The erf coefficient table (wasm/math-exact-erf.ts): 193 centres × 12 doubles, 18,528 bytes. */
export const ERF_TABLE_ADDRESS = CONSTANT_TABLES_START;
/** The first byte after the tables, where the arena's blocks begin. */
export const CONSTANT_TABLES_END = 24576;
