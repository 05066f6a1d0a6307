// `edgeha watchdog test`: like `sbd test-watchdog`, proves the watchdog resets this machine.
// It opens the device (which arms it), feeds it for a moment, then stops feeding and closes
// it without the magic close, and waits: a working watchdog resets the machine within its
// timeout; a process still alive after that reports the failure. On a node whose agent runs
// (its admin socket answers) it refuses without --force: the reset takes the node's
// resources down with it.
import { requestApi } from "../../api";
import { UsageError } from "../../common/errors";
import { configDefaults } from "../../config";
import { openWatchdog } from "../../node/watchdog-device";
import type { Command, CommandContext } from "../command";

const DEVICE_DEFAULT = "/dev/watchdog";
/** How long past the timeout a machine may take to reset before the test calls it failed. */
const GRACE_MS = 10_000;

async function agentAnswers(socket: string): Promise<boolean> {
  try {
    await requestApi(socket, { command: "status" }, 1000);
    return true;
  } catch {
    return false;
  }
}

function say(context: CommandContext, line: string): void {
  context.stdout.write(`${line}\n`);
}

const watchdogTest: Command = {
  words: ["watchdog", "test"],
  summary: "Reset this machine through its watchdog, to prove the watchdog works (like sbd test-watchdog).",
  usage: "[--device PATH] [--socket PATH] [--force]",
  description:
    "Opens the watchdog device, feeds it for a second, then stops feeding it: a working watchdog resets this machine within its timeout. " +
    "If the machine is still up ten seconds after that, the test failed (exit 1). Refused on a node whose agent runs, unless --force: " +
    "the reset stops every resource this node runs.",
  examples: ["watchdog test", "watchdog test --device /dev/watchdog1 --force"],
  options: [
    { name: "device", kind: "string", value: "PATH", description: `Watchdog device (default ${DEVICE_DEFAULT}).` },
    { name: "socket", kind: "string", value: "PATH", description: `Admin socket of the local agent (default ${configDefaults.DEFAULT_SOCKET_PATH}).` },
    { name: "force", kind: "boolean", description: "Reset this node even though its agent runs." },
  ],
  async run(args, context) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`, "usage: edgeha watchdog test [--device PATH] [--force]");
    const device = typeof args.options.device === "string" ? args.options.device : DEVICE_DEFAULT;
    const socket = typeof args.options.socket === "string" ? args.options.socket : configDefaults.DEFAULT_SOCKET_PATH;
    if (args.options.force !== true && (await agentAnswers(socket))) {
      throw new UsageError(`the edgeha agent runs on this node (${socket} answers): the reset would stop every resource it runs`, "stop the node first (edgeha node stop), or add --force");
    }
    const watchdog = await openWatchdog(device, undefined);
    say(context, `watchdog ${device} armed, timeout ${watchdog.timeoutMs / 1000} s; feeding it for 1 s`);
    const feeder = setInterval(() => watchdog.feed(), 200);
    watchdog.feed();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    clearInterval(feeder);
    watchdog.close(false);
    say(context, `no longer fed: this machine must reset within ${watchdog.timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, watchdog.timeoutMs + GRACE_MS));
    context.stderr.write(`watchdog test FAILED: this machine is still up ${(watchdog.timeoutMs + GRACE_MS) / 1000} s after the watchdog was last fed\n`);
    return 1;
  },
};

export const watchdogCommands: Command[] = [watchdogTest];
