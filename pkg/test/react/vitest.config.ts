import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

// The React bindings' tests: `vitest run --config test/react/vitest.config.ts` from pkg/
// (scripts/test-web.sh does it). They render the built package's hooks (dist/, as an
// application imports `resocket/react`) in jsdom against a real test server that
// global-setup.ts starts on a free port and stops afterwards.
const pkg = fileURLToPath(new URL("../..", import.meta.url));

export default defineConfig({
  root: pkg,
  esbuild: { jsx: "automatic" },
  // The package's browser entries (jsdom stands for a page), as its `exports` map gives
  // them to a bundler: dist/index.js and dist/react.js.
  resolve: {
    alias: [
      { find: /^resocket$/, replacement: `${pkg}dist/index.js` },
      { find: /^resocket\/react$/, replacement: `${pkg}dist/react.js` },
    ],
  },
  test: {
    include: ["test/react/**/*.test.tsx"],
    environment: "jsdom",
    globalSetup: ["test/react/global-setup.ts"],
    setupFiles: ["test/react/setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    fileParallelism: false,
  },
});
