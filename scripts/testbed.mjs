#!/usr/bin/env node
// The namespace testbed from the command line (for ./scripts/demo and by hand; needs root):
//   scripts/testbed.mjs up [--arbiter] [--second-link] [--prefix P] [--hold SECONDS]
// creates the testbed of test/support/testbed, prints it as one JSON line (namespaces,
// addresses, VIP, BMC addresses, user and password, each machine's node.env), keeps it up
// until SIGINT/SIGTERM or --hold seconds (default 3600), then removes everything.
// While it is up:  test/support/testbed/node.sh off|on <node.env>  is a power loss / power on,
// and  ipmitool -I lanplus -H <bmc> -U <user> -E chassis power off  does the same through the BMC.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const usage = () => { process.stderr.write("usage: scripts/testbed.mjs up [--arbiter] [--second-link] [--prefix P] [--hold SECONDS]\n"); process.exit(2); };
if (args[0] !== "up") usage();
if (process.getuid?.() !== 0) { process.stderr.write("scripts/testbed.mjs: needs root (it creates network namespaces)\n"); process.exit(1); }
const option = (name) => { const at = args.indexOf(name); return at > 0 ? args[at + 1] : undefined; };
const hold = Number(option("--hold") ?? 3600);
if (!Number.isFinite(hold) || hold <= 0) usage();

// The testbed is TypeScript: bundle it once into .cache and load it.
mkdirSync(join(root, ".cache"), { recursive: true });
const bundle = join(root, ".cache", "testbed.cjs");
execFileSync(join(root, "node_modules", ".bin", "esbuild"), [join(root, "test", "support", "testbed", "index.ts"), "--bundle", "--platform=node", "--format=cjs", `--outfile=${bundle}`, "--log-level=warning"], { stdio: "inherit" });
process.env.EDGEHA_ROOT = root;
const { Testbed } = createRequire(import.meta.url)(bundle);

const testbed = await Testbed.create({ prefix: option("--prefix") ?? "cli", arbiter: args.includes("--arbiter"), secondLink: args.includes("--second-link") });
let done = false;
const finish = () => { if (done) return; done = true; testbed.destroy(); process.exit(0); };
process.on("SIGINT", finish);
process.on("SIGTERM", finish);
process.stdout.write(JSON.stringify({
  tag: testbed.tag, directory: testbed.directory, switch: testbed.switchNs, vip: testbed.vip, bmcUser: testbed.bmcUser, bmcPassword: testbed.bmcPassword,
  hosts: [...testbed.hosts.values()].map((host) => ({ ...host, nodeEnv: host.machine ? join(host.state, "node.env") : undefined })),
}) + "\n");
setTimeout(finish, hold * 1000);
