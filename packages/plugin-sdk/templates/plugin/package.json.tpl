{
  "name": "__PACKAGE_NAME__",
  "version": "0.1.0",
  "description": "Polychip device plugin '__DEVICE_NAME__' (scaffolded by polychip-create-plugin)",
  "type": "module",
  "main": "./src/index.ts",
  "types": "./src/index.ts",
  "exports": { ".": "./src/index.ts" },
  "scripts": {
    "typecheck": "tsc -p .",
    "build": "tsc -p tsconfig.build.json",
    "test": "node --import tsx --test $(find src -name '*.test.ts')",
    "conformance": "polychip-conformance ."
  },
  "dependencies": {
    "@polychip/hal": "__HAL_DEPENDENCY__",
    "@polychip/plugin-sdk": "__SDK_DEPENDENCY__"
  },
  "devDependencies": { "tsx": "4.23.15", "typescript": "5.9.3", "@types/node": "20.9.5" },
  "files": ["dist", "README.md"],
  "publishConfig": {
    "main": "./dist/index.js",
    "types": "./dist/index.d.ts",
    "exports": { ".": { "types": "./dist/index.d.ts", "default": "./dist/index.js" } }
  }
}
