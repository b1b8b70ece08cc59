# __PACKAGE_NAME__

A Polychip device plugin for the `__DEVICE_NAME__` device, scaffolded by `polychip-create-plugin`.
It imports only `@polychip/hal` (the contract) and `@polychip/plugin-sdk` (host-device helpers).

- `src/index.ts` — the HAL entry point (`DevicePlugin`): name, HAL version, `create()`, `kernels`.
- `src/device.ts` — the device: memory, copies, launches. It starts as a host-memory device
  (`HostDevice` from the SDK); swap in your driver calls.
- `src/kernels/` — naive TypeScript kernels for every required primitive op. They pass the
  conformance kit as generated; replace them with real ones, one at a time. Composites you do
  not register run their HAL decomposition on your device; a primitive you drop falls back to
  the CPU device, visibly.

## Use

```ts
import __PLUGIN_CONST__ from "__PACKAGE_NAME__";
await engine.loadPlugin("__PACKAGE_NAME__"); // or a path to this folder, resolved from the working directory
```

From the command line, in this folder: `polychip train --plugin . --device __DEVICE_NAME__ --subset`,
then `polychip deploy runs/mlp.pcck --plugin . --device __DEVICE_NAME__` (`.` is this package's entry point:
see below).

## Build and ship

`npm run build` compiles `src/` to JavaScript with declarations in `dist/` (tsconfig.build.json).
Scaffolded outside the Polychip repository, the package's `main`, `types` and `exports` are that
build and `prepack` runs it, so `npm pack` (or `pnpm pack`) gives a tarball plain node loads, and
`--plugin .` loads the build. Inside the repository the entry points are `src/` (run through tsx)
and `publishConfig` switches them to `dist/` when `pnpm pack` packs it; npm ignores those fields of
`publishConfig`, so pack it there with pnpm.

## Test

```sh
pnpm test            # (or npm test) runs the conformance kit on this plugin (node:test)
pnpm run conformance # prints the op × dtype table and the summary line
pnpm run typecheck
```

See `docs/writing-a-device-plugin.md` in the Polychip repository for the contract, lifecycle,
memory and queues, capabilities, fallback, profiler events and subgraph claiming.
