// The Debian packages ./scripts/build writes (scripts/package.ts): their control fields and
// relations come from the program registry, they carry the executable, the unit, the man pages,
// the completion, the example config as a conffile and a root-only state directory; lintian
// finds nothing beyond the documented overrides; and the arm64 package's executable runs
// under qemu-user.
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { hasCommand, repositoryRoot } from "../../support/environment";
import { debPath as deb, ensurePackages } from "../../support/build";
import { packageRelations } from "../../../src/common/programs";

const version = (JSON.parse(readFileSync(path.join(repositoryRoot, "package.json"), "utf8")) as { version: string }).version;
const missing = ["llvm-strip", "openssl", "dpkg-deb", "readelf", "gcc", "aarch64-linux-gnu-gcc"].filter((command) => !hasCommand(command));

function field(control: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)$`, "m").exec(control)?.[1];
}

describe.skipIf(missing.length > 0)(`Debian packages (needs ${missing.join(", ") || "nothing more"})`, () => { // skipped: without the build's tools (./scripts/install-packages build); the title names them
  beforeAll(() => {
    ensurePackages();
  }, 900_000);

  it.each(["amd64", "arm64"] as const)("%s: control fields, relations from the program registry, conffiles", (arch) => {
    const control = execFileSync("dpkg-deb", ["--field", deb(arch)], { encoding: "utf8" });
    expect(field(control, "Package")).toBe("edgeha");
    expect(field(control, "Version")).toBe(version);
    expect(field(control, "Architecture")).toBe(arch);
    const relations = packageRelations();
    const depends = field(control, "Depends")!.split(", ");
    expect(depends).toEqual(expect.arrayContaining([...relations.depends, "adduser", "libstdc++6", "libgcc-s1"]));
    expect(depends.find((entry) => entry.startsWith("libc6 "))).toMatch(/^libc6 \(>= 2\.\d+\)$/);
    expect(field(control, "Recommends")!.split(", ").sort()).toEqual(relations.recommends);
    expect(field(control, "Suggests")!.split(", ").sort()).toEqual(relations.suggests);
    const conffiles = execFileSync("dpkg-deb", ["--info", deb(arch), "conffiles"], { encoding: "utf8" });
    expect(conffiles.trim().split("\n").sort()).toEqual(["/etc/default/edgeha", "/etc/edgeha/edgeha.yaml.example"]);
  }, 60_000);

  it.each(["amd64", "arm64"] as const)("%s: the files, owned by root, the state directory root only", (arch) => {
    const listing = execFileSync("dpkg-deb", ["--contents", deb(arch)], { encoding: "utf8" }).trim().split("\n");
    const entries = new Map(listing.map((line) => {
      const parts = line.split(/\s+/);
      return [parts[5]!.replace(/^\.\//, "/"), { mode: parts[0]!, owner: parts[1]! }];
    }));
    for (const file of ["/usr/sbin/edgeha", "/lib/systemd/system/edgeha.service", "/etc/edgeha/edgeha.yaml.example", "/etc/default/edgeha", "/var/lib/edgeha/",
      "/usr/share/man/man8/edgeha.8.gz", "/usr/share/man/man5/edgeha.yaml.5.gz", "/usr/share/bash-completion/completions/edgeha", "/usr/share/doc/edgeha/copyright", "/usr/share/doc/edgeha/changelog.gz"]) {
      expect(entries.has(file), file).toBe(true);
    }
    for (const [file, entry] of entries) expect(entry.owner, file).toBe("root/root");
    expect(entries.get("/usr/sbin/edgeha")!.mode).toBe("-rwxr-xr-x");
    expect(entries.get("/var/lib/edgeha/")!.mode).toBe("drwx------");
  }, 60_000);

  it("the arm64 package carries an arm64 executable", () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), "eh-deb-arm64-"));
    try {
      execFileSync("dpkg-deb", ["--extract", deb("arm64"), directory]);
      expect(readFileSync(path.join(directory, "usr/sbin/edgeha")).subarray(0, 20).readUInt16LE(18)).toBe(183); // ELF e_machine: EM_AARCH64
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 60_000);

  it.skipIf(!hasCommand("qemu-aarch64-static"))("the arm64 package's executable runs under qemu-user", () => { // skipped: without qemu-user-static (in the program registry)
    const directory = mkdtempSync(path.join(os.tmpdir(), "eh-deb-arm64-"));
    try {
      execFileSync("dpkg-deb", ["--extract", deb("arm64"), directory]);
      const result = spawnSync("qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", path.join(directory, "usr/sbin/edgeha"), "diag", "runtime", "--json"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" }, timeout: 120_000 });
      expect(result.stderr).toBe("");
      expect(JSON.parse(result.stdout)).toMatchObject({ arch: "arm64", singleExecutable: true, edgeha: version });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 180_000);

  it.skipIf(!hasCommand("lintian"))("lintian finds nothing beyond the documented overrides", () => { // skipped: without lintian (Debian package lintian, in the program registry)
    for (const arch of ["amd64", "arm64"] as const) {
      const result = spawnSync("lintian", ["--pedantic", "--display-info", "--fail-on", "error,warning,info,pedantic", deb(arch)], { encoding: "utf8", timeout: 600_000 });
      const tags = result.stdout.split("\n").filter((line) => /^[EWIPX]: /.test(line));
      expect(tags, arch).toEqual([]);
      expect(result.status, `${arch}: ${result.stderr}`).toBe(0);
    }
  }, 1_300_000);
});
