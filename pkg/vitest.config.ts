import { defineConfig } from "vitest/config";

// The tests import the built package (`resocket`, resolved through package.json's
// `exports` to dist/) against a real test server started by scripts/test-browser.sh,
// which passes its addresses in RESOCKET_TEST_WS and RESOCKET_TEST_CONTROL.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    fileParallelism: false,
  },
});
