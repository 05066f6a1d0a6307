// A vitest reporter that writes down every test that passed only on a retry.
//
// Both projects retry a failed test once (vitest.config.ts): the integration
// tests run real agents, namespaces and peers on a shared two-core machine, and
// one timing-sensitive wait that loses a race under load would otherwise fail the
// whole run. A retry must never hide that: ./scripts/test prints every test this
// reporter records, before its line of totals, so a flaky test stays visible and
// gets fixed. A test that fails twice fails the run.
import fs from "node:fs";
import path from "node:path";
import type { Reporter, TestCase } from "vitest/node";

export default class RetryReporter implements Reporter {
  private readonly flaky: { file: string; test: string; retries: number; errors: string[] }[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const diagnostic = testCase.diagnostic();
    if (!diagnostic?.flaky) return;
    this.flaky.push({
      file: path.relative(process.cwd(), testCase.module.moduleId),
      test: testCase.fullName,
      retries: diagnostic.retryCount,
      errors: testCase.result().errors?.map((error) => String(error.message).split("\n")[0] ?? "") ?? [],
    });
  }

  onTestRunEnd(): void {
    const out = process.env.EDGEHA_RETRY_REPORT;
    if (!out) return;
    fs.writeFileSync(out, JSON.stringify(this.flaky, null, 2));
  }
}
