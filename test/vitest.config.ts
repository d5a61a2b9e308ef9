import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure core, in-memory fakes) and `integration` (real Kafka broker and
// Redis, started once per run by test/integration/global-setup.ts — it fails loudly if the
// infrastructure cannot start; nothing is skipped silently).
export default defineConfig({
  root: new URL("..", import.meta.url).pathname,
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
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
