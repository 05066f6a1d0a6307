// Diagnostics of the executable itself: how it was started and whether its
// native addons load. The build tests use them to check what the SEA config set.
import { isSingleExecutable, loadNotifyNative, loadSerialNative } from "../../node/native";
import type { Command } from "../command";
import { VERSION } from "../version";

const runtime: Command = {
  words: ["diag", "runtime"],
  summary: "Show the runtime: Node version, architecture, V8 flags baked into the executable.",
  usage: "[--json]",
  description: "Prints what this executable runs on. execArgv lists the V8 flags the single executable was built with; NODE_OPTIONS must not add to them.",
  examples: ["diag runtime --json"],
  options: [{ name: "json", kind: "boolean", description: "Print JSON." }],
  run(args, context) {
    const facts = {
      edgeha: VERSION,
      node: process.version,
      arch: process.arch,
      singleExecutable: isSingleExecutable(),
      execArgv: process.execArgv,
      heapLimitMiB: Math.round((require("node:v8") as typeof import("node:v8")).getHeapStatistics().heap_size_limit / 1048576),
    };
    if (args.options.json) context.stdout.write(`${JSON.stringify(facts)}\n`);
    else for (const [key, value] of Object.entries(facts)) context.stdout.write(`${key}: ${Array.isArray(value) ? value.join(" ") : value}\n`);
    return 0;
  },
};

const native: Command = {
  words: ["diag", "native"],
  summary: "Load the native addons (serial port, systemd notify) and list what they export.",
  usage: "",
  examples: ["diag native"],
  run(_args, context) {
    const exports = Object.keys(loadSerialNative()).sort();
    context.stdout.write(`serial addon loaded: ${exports.join(", ")}\n`);
    const notify = loadNotifyNative();
    // Sending to a socket that does not exist proves the call reaches the kernel: ENOENT (2).
    context.stdout.write(`notify addon loaded: ${Object.keys(notify).sort().join(", ")} (a send to no socket: errno ${notify.send("/nonexistent/edgeha-notify-probe", "STATUS=probe")})\n`);
    return 0;
  },
};

const idle: Command = {
  words: ["diag", "idle"],
  summary: "Wait without doing anything (for footprint measurements); stops on SIGTERM.",
  usage: "[--seconds N]",
  examples: ["diag idle --seconds 30"],
  options: [{ name: "seconds", kind: "number", value: "N", description: "Exit after N seconds (default 3600)." }],
  run(args) {
    const seconds = typeof args.options.seconds === "number" ? args.options.seconds : 3600;
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(0), seconds * 1000);
      process.once("SIGTERM", () => {
        clearTimeout(timer);
        resolve(0);
      });
    });
  },
};

export const diagCommands: Command[] = [runtime, native, idle];
