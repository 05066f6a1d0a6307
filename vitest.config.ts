import { defineConfig } from "vitest/config";

// Two projects: unit tests (pure code, fast, run in parallel) and integration
// tests (real processes, network namespaces, real peers), which run one file at
// a time because they share the machine's network stack and its two cores.
export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    // After every file: no agent it started still runs, /var/lib/edgeha and /etc/edgeha untouched.
    setupFiles: ["test/setup-guard.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/conformance/**/*.test.ts"],
          testTimeout: 60_000,
          // One retry here too: a few unit tests measure a real child process (RSS, wake-ups)
          // and run beside the others on two cores. ./scripts/test names every test that passed
          // only on its retry (FLAKY), as for the integration tests.
          retry: 1,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          fileParallelism: false,
          // One retry of a failed test: these tests drive real processes on a
          // shared machine. ./scripts/test lists every test that needed it
          // (test/retry-reporter.ts), so a flaky test is reported, not hidden.
          retry: 1,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
