// Prints an install plan from the program registry (src/common/programs.ts), one program a
// line: `PROGRAM COMMAND PACKAGE [ALSO...]` (`- - PACKAGE` for a program family) for `build`,
// `demo` or `test`; or `relations` (the edgeha package's Depends, Recommends and Suggests as
// JSON). scripts/install-packages runs it (bundled with esbuild).
import { installPlan, packageRelations, type InstallList } from "../src/common/programs";

const what = process.argv[2];
if (what === "relations") {
  process.stdout.write(`${JSON.stringify(packageRelations())}\n`);
} else if (what === "build" || what === "demo" || what === "test") {
  const lines = installPlan(what as InstallList).map((step) => [step.program ?? "-", step.command ?? "-", step.package, ...step.alsoPackages].join(" "));
  process.stdout.write(`${lines.join("\n")}\n`);
} else {
  process.stderr.write("usage: programs build|demo|test|relations\n");
  process.exitCode = 2;
}
