// Runs the xvm driver once inside a network namespace (a Node process cannot
// enter one itself): argv[2] is JSON {action, options}; prints the result as JSON.
import { xvmDriver } from "../../../fence-drivers/xvm/index";

const { action, options, timeoutMs } = JSON.parse(process.argv[2]!);
xvmDriver.run(action, options, { signal: AbortSignal.timeout(timeoutMs), debug: () => {} }).then((result) => {
  process.stdout.write(JSON.stringify(result));
});
