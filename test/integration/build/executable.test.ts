// The shipped executables: built by ./scripts/build, they must run alone (no
// node, no node_modules), ignore NODE_OPTIONS, carry their V8 flags, load the
// native serial addon, and the arm64 one must start under qemu-user.
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { executableV8Flags, hasCommand, repositoryRoot } from "../../support/environment";

const executable = path.join(repositoryRoot, "dist/edgeha");
const arm64Executable = path.join(repositoryRoot, "dist/edgeha-arm64");
// The build needs llvm-strip (Debian package llvm) and openssl; CI installs both.
const buildMissing = ["llvm-strip", "openssl"].filter((command) => !hasCommand(command));

function runAlone(directory: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(path.join(directory, "edgeha"), args, {
    cwd: directory,
    encoding: "utf8",
    // No node on PATH and nothing else of the build environment.
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: directory, ...env },
    timeout: 30_000,
  });
}

describe.skipIf(buildMissing.length > 0)(`single executable (needs ${buildMissing.join(", ") || "nothing more"})`, () => { // skipped: without llvm-strip or openssl (the build's tools); the title names what is missing
  let alone: string;

  beforeAll(() => {
    execFileSync(path.join(repositoryRoot, "scripts/build"), ["--no-packages"], { cwd: repositoryRoot, stdio: "pipe", timeout: 170_000 });
    alone = mkdtempSync(path.join(os.tmpdir(), "edgeha-alone-"));
    copyFileSync(executable, path.join(alone, "edgeha"));
    execFileSync("chmod", ["755", path.join(alone, "edgeha")]);
    return () => rmSync(alone, { recursive: true, force: true });
  }, 180_000);

  it("runs alone from an empty directory and prints its version", () => {
    const result = runAlone(alone, ["--version"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^edgeha \d+\.\d+\.\d+\n$/);
    expect(result.status).toBe(0);
  });

  it("is a Node 24 single executable with its V8 memory flags baked in", () => {
    const facts = JSON.parse(runAlone(alone, ["diag", "runtime", "--json"]).stdout);
    expect(facts.singleExecutable).toBe(true);
    expect(facts.node).toMatch(/^v24\./);
    expect(facts.execArgv).toContain("--max-old-space-size=256");
    expect(facts.heapLimitMiB).toBeLessThan(300);
    // The agent's event loop runs SCHED_RR and V8's helper threads do not: with concurrent sweeping
    // the loop busy-waited for the sweeper thread it starved (about 1 s of a CPU after start).
    expect(facts.execArgv).toContain("--single-threaded-gc");
    // Start-up code not run since two full collections is dropped (about 1.6 MiB of an idle agent).
    expect(facts.execArgv).toContain("--bytecode-old-age=2");
    // The flags the tests run the bundle with (test/support/environment.ts) are the executable's.
    expect(facts.execArgv).toEqual(expect.arrayContaining(executableV8Flags));
  });

  it("carries only the parts of systeminformation it uses (the agent keeps its source in memory)", () => {
    const bundle = readFileSync(path.join(repositoryRoot, "dist/edgeha.cjs"), "utf8");
    // Used: network interfaces (node facts, ipaddr). Not used: graphics, bluetooth.
    expect(bundle).toContain("/sys/class/net/");
    expect(bundle).not.toContain("nvidia-smi");
    expect(bundle).not.toContain("bluetoothctl");
  });

  it("ignores NODE_OPTIONS, so nothing can be injected through the environment", () => {
    const evil = path.join(alone, "evil.js");
    writeFileSync(evil, "process.stdout.write('INJECTED\\n');\n");
    const result = runAlone(alone, ["diag", "runtime", "--json"], { NODE_OPTIONS: `--require ${evil} --max-old-space-size=4000` });
    expect(result.stdout).not.toContain("INJECTED");
    expect(JSON.parse(result.stdout).heapLimitMiB).toBeLessThan(300);
  });

  it("explains unknown commands in one line with exit status 2", () => {
    const result = runAlone(alone, ["frobnicate"]);
    expect(result.status).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe("edgeha: unknown command 'frobnicate'");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("loads the native addons it carries: serial port and systemd notify", () => {
    const result = runAlone(alone, ["diag", "native"], { EDGEHA_NATIVE_DIR: path.join(alone, "native") });
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/serial addon loaded: .*open/);
    expect(result.stdout).toMatch(/notify addon loaded: send \(a send to no socket: errno 2\)/);
  });

  // qemu-user-static runs the arm64 executable; the arm64 C library comes from
  // Debian's cross packages (libc6-arm64-cross, libstdc++6-arm64-cross).
  const qemuMissing = !hasCommand("qemu-aarch64-static");
  it.skipIf(qemuMissing)("the arm64 executable starts under qemu-user", () => { // skipped: without qemu-user-static (runs the arm64 build)
    const result = spawnSync("qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", arm64Executable, "diag", "runtime", "--json"], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin" },
      timeout: 60_000,
    });
    expect(result.stderr).toBe("");
    const facts = JSON.parse(result.stdout);
    expect(facts.arch).toBe("arm64");
    expect(facts.singleExecutable).toBe(true);
    expect(facts.execArgv).toContain("--max-old-space-size=256");
    // Its own arm64 addons load too (the notify addon is cross-compiled by scripts/build).
    const native = spawnSync("qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", arm64Executable, "diag", "native"], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin", EDGEHA_NATIVE_DIR: path.join(alone, "native-arm64") },
      timeout: 60_000,
    });
    expect(native.stderr).toBe("");
    expect(native.stdout).toMatch(/notify addon loaded: send \(a send to no socket: errno 2\)/);
  });
});
