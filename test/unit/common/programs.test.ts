// The program registry (src/common/programs.ts) is the one list of programs edgeha runs:
// code starts programs only through src/common/spawn.ts with a registry name or family, the
// libraries it calls run only registered programs, the tests check only for registered
// programs, and the install lists of the package, the tests and the demo come from it.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PROGRAMS, PROGRAM_FAMILIES, installList, isProgramName, packageRelations, type ProgramEntry } from "../../../src/common/programs";

const root = path.resolve(__dirname, "../../..");

function sourceFiles(directory: string, extension = /\.ts$/): string[] {
  if (!existsSync(directory)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(directory)) {
    const full = path.join(directory, entry);
    if (statSync(full).isDirectory()) files.push(...sourceFiles(full, extension));
    else if (extension.test(full)) files.push(full);
  }
  return files;
}

const productFiles = () => ["src", "agents", "fence-drivers"].flatMap((folder) => sourceFiles(path.join(root, folder)));

/** The programs a shell command line runs: the first word of every simple command in it. */
export function programsOfShellCommand(line: string): string[] {
  const builtins = new Set(["echo", "export", "unset", "printf", "test", "[", "true", "false", "cd", "read", "set", "exec", "command", "if", "then", "fi", "do", "done", "for", "while", "else"]);
  const programs: string[] = [];
  for (const part of line.split(/;|\|\||&&|\||\n|\$\(|`|\)/)) {
    const words = part.trim().split(/\s+/).filter((word) => word !== "" && !/^\w+=/.test(word) && !/^\d?[<>]/.test(word));
    const first = words[0];
    if (first !== undefined && !builtins.has(first)) programs.push(path.basename(first));
  }
  return programs;
}

describe("the program registry", () => {
  it("only src/common/spawn.ts starts processes: no other module of the product imports child_process", () => {
    const offenders = productFiles()
      .filter((file) => path.relative(root, file) !== path.join("src", "common", "spawn.ts"))
      .filter((file) => /["'](node:)?child_process["']/.test(readFileSync(file, "utf8")))
      .map((file) => path.relative(root, file));
    expect(offenders).toEqual([]);
  });

  it("every program named where code starts one is in the registry", () => {
    const unknown: string[] = [];
    const calls = /\b(?:spawnProgram|execFileProgram|runToEnd|runProcess|run)\(\s*(?:"([^"]+)"|\{\s*(program|family):\s*"([^"]+)")/g;
    let seen = 0;
    for (const file of productFiles()) {
      for (const match of readFileSync(file, "utf8").matchAll(calls)) {
        const [, name, kind, target] = match;
        // `run("...")` is also the name of unrelated helpers; only registry-shaped words count there.
        if (name !== undefined && match[0].startsWith("run(") && !/^[\w.-]+$/.test(name)) continue;
        seen++;
        if (name !== undefined && !isProgramName(name)) unknown.push(`${name} (${path.relative(root, file)})`);
        if (kind === "program" && !isProgramName(target!)) unknown.push(`${target} (${path.relative(root, file)})`);
        if (kind === "family" && !(target! in PROGRAM_FAMILIES)) unknown.push(`family ${target} (${path.relative(root, file)})`);
      }
    }
    expect(unknown).toEqual([]);
    expect(seen).toBeGreaterThan(10);
  });

  it("every program systeminformation runs for the node facts is in the registry", () => {
    // A fresh process with child_process wrapped before systeminformation loads, running the
    // four calls the agent makes (src/common/sysinfo.ts); every command it starts is recorded.
    const directory = mkdtempSync(path.join(tmpdir(), "eh-programs-"));
    try {
      const log = path.join(directory, "spawned.jsonl");
      writeFileSync(path.join(directory, "hook.cjs"), `
        const childProcess = require("node:child_process");
        const fs = require("node:fs");
        for (const name of ["exec", "execSync", "execFile", "execFileSync", "spawn", "spawnSync"]) {
          const original = childProcess[name];
          childProcess[name] = function (command, ...rest) {
            fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ name, command, args: Array.isArray(rest[0]) ? rest[0] : [] }) + "\\n");
            return original.call(this, command, ...rest);
          };
        }`);
      const library = path.join(root, "node_modules/systeminformation/lib");
      writeFileSync(path.join(directory, "facts.cjs"), `
        (async () => {
          for (const [module, call] of [["cpu", "cpu"], ["memory", "mem"], ["filesystem", "fsSize"], ["network", "networkInterfaces"]]) {
            await require(${JSON.stringify(library)} + "/" + module)[call]().catch(() => undefined);
          }
        })();`);
      const result = spawnSync(process.execPath, ["--require", path.join(directory, "hook.cjs"), path.join(directory, "facts.cjs")], { encoding: "utf8", timeout: 60_000 });
      expect(result.status).toBe(0);
      const calls = readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { name: string; command: string; args: string[] });
      const programs = new Set<string>();
      for (const call of calls) {
        // A shell line (exec, execSync, or sh -c) runs several programs; execFile of a program runs that one.
        const shell = call.name === "exec" || call.name === "execSync" || (["execFile", "spawn"].includes(call.name) && call.args.length === 0 && /\s/.test(call.command));
        if (shell) for (const program of programsOfShellCommand(call.command)) programs.add(program);
        else if (path.basename(call.command) === "sh" && call.args[0] === "-c") for (const program of programsOfShellCommand(call.args[1] ?? "")) programs.add(program);
        else programs.add(path.basename(call.command));
      }
      expect(programs.size).toBeGreaterThan(0);
      expect([...programs].filter((program) => !isProgramName(program) && program !== "sh")).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("reads the programs of a shell line the way a shell starts them", () => {
    expect(programsOfShellCommand('export LC_ALL=C; lscpu; echo -n "Governor: "; cat /sys/x 2>/dev/null | grep cpu; unset LC_ALL')).toEqual(["lscpu", "cat", "grep"]);
    expect(programsOfShellCommand("ip route 2> /dev/null | grep default")).toEqual(["ip", "grep"]);
  });

  it("every program a test checks for is in the registry, so ./scripts/test installs it", () => {
    const unknown = new Set<string>();
    for (const file of sourceFiles(path.join(root, "test"))) {
      for (const match of readFileSync(file, "utf8").matchAll(/\b(?:hasCommand|reasonMissing)\(([^)]*)\)/g)) {
        for (const name of match[1]!.matchAll(/"([^"]+)"/g)) if (!isProgramName(name[1]!)) unknown.add(`${name[1]} (${path.relative(root, file)})`);
      }
    }
    expect([...unknown]).toEqual([]);
  });

  it("says for every program which Debian package ships it, why it runs and who runs it", () => {
    for (const [name, entry] of Object.entries(PROGRAMS) as Array<[string, ProgramEntry]>) {
      expect(entry.package, name).toMatch(/^[a-z0-9][a-z0-9+.-]+$/);
      expect(entry.why.length, name).toBeGreaterThan(20);
      expect(entry.product !== undefined || entry.build || entry.test || entry.demo, `${name} is run by nobody`).toBeTruthy();
    }
  });

  it("the package depends on what a VIP needs and recommends what most clusters use, never on an essential package", () => {
    const relations = packageRelations();
    expect(relations.depends).toEqual(expect.arrayContaining(["iproute2", "iputils-arping"]));
    expect(relations.recommends).toEqual(expect.arrayContaining(["resource-agents", "fence-agents", "sg3-utils", "systemd"]));
    // Services the cluster manages are only suggested: their packages start their own copy at install.
    expect(relations.suggests).toEqual(["haproxy", "memcached"]);
    const essential = new Set(Object.values(PROGRAMS as Record<string, ProgramEntry>).filter((entry) => entry.essential).map((entry) => entry.package));
    for (const name of [...relations.depends, ...relations.recommends, ...relations.suggests]) expect(essential.has(name), name).toBe(false);
  });

  it("the demo installs what its pair runs, arping included (a fresh machine lacked it)", () => {
    const demo = installList("demo");
    for (const wanted of ["iputils-arping", "iproute2", "haproxy", "memcached", "openipmi", "curl", "nodejs", "npm", "llvm", "openssl"]) expect(demo).toContain(wanted);
    // Not what only the tests use.
    expect(demo).not.toContain("tgt");
  });

  it("the tests install everything the product may run, the build's tools and their own peers", () => {
    const test = installList("test");
    const relations = packageRelations();
    for (const name of [...relations.depends, ...relations.recommends, ...relations.suggests, ...installList("build")]) expect(test).toContain(name);
    for (const wanted of ["openipmi", "tgt", "qemu-user-static", "libc6-arm64-cross", "pacemaker-cli-utils"]) expect(test).toContain(wanted);
    // Probes that are only tried when present are nobody's install.
    expect(test).not.toContain("network-manager");
  });
});

describe("the scripts' install lists", () => {
  it("scripts/test and scripts/demo install what the registry lists, and no script names packages of its own", () => {
    expect(readFileSync(path.join(root, "scripts/test"), "utf8")).toMatch(/\.\/scripts\/install-packages test\b/);
    expect(readFileSync(path.join(root, "scripts/demo"), "utf8")).toMatch(/\.\/scripts\/install-packages demo\b/);
    for (const file of sourceFiles(path.join(root, "scripts"), /./)) {
      if (path.basename(file) === "install-packages") continue;
      expect(readFileSync(file, "utf8"), file).not.toMatch(/apt-get\s+install/);
    }
    expect(existsSync(path.join(root, "test/apt-packages.txt"))).toBe(false);
  });

  it("the bootstrap that install-packages needs before it can read the registry is the registry's node and npm", () => {
    const script = readFileSync(path.join(root, "scripts/install-packages"), "utf8");
    const bootstrap = /^BOOTSTRAP_PACKAGES="([^"]*)"/m.exec(script)?.[1]?.split(" ").sort();
    expect(bootstrap).toEqual([PROGRAMS.node.package, PROGRAMS.npm.package].sort());
  });
});

describe("CI", () => {
  it("runs the tests and then the demo", () => {
    const script = readFileSync(path.join(root, ".ci/run"), "utf8");
    const test = script.indexOf("./scripts/test");
    const demo = script.indexOf("./scripts/demo\n");
    expect(test).toBeGreaterThan(0);
    expect(demo).toBeGreaterThan(test);
  });
});
