import { fileURLToPath } from "node:url";

import { defineConfig } from "vite";

// `resocket` is the package one directory up (its `exports` point at dist/), as an
// application would get it from node_modules.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { alias: { resocket: fileURLToPath(new URL("../..", import.meta.url)) } },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
