import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure core, in-memory fakes) and `integration` (real Kafka broker and
// Redis, started once per run by test/integration/global-setup.ts — it fails loudly if the
// infrastructure cannot start; nothing is skipped silently).
// CLI child processes (src/cli/bin.js) run the TypeScript sources under test, never a built dist/.
const SOURCES = { DRIFT_DETECTOR_SOURCES: "1" };

export default defineConfig({
  root: new URL("..", import.meta.url).pathname,
  test: {
    projects: [
      {
        test: {
          name: "unit",
          env: SOURCES,
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          env: SOURCES,
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
