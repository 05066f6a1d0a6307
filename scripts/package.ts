// Writes the Debian packages dist/edgeha_VERSION_amd64.deb and dist/edgeha_VERSION_arm64.deb
// from the executables ./scripts/build made, offline, with dpkg-deb:
//   /usr/sbin/edgeha, /lib/systemd/system/edgeha.service, /etc/edgeha/edgeha.yaml.example and
//   /etc/default/edgeha (conffiles), /var/lib/edgeha, the man pages edgeha(8) and
//   edgeha.yaml(5) (scripts/manual.ts), bash completion (src/cli/completion.ts), and the
//   relation fields from the program registry (src/common/programs.ts).
// The maintainer scripts, unit, copyright and lintian overrides live in scripts/debian/.
// Run by scripts/build (bundled with esbuild): node dist/package.cjs [ROOT]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { allCommands } from "../src/cli/registry";
import { bashCompletion } from "../src/cli/completion";
import { packageRelations } from "../src/common/programs";
import { configManual, edgehaManual } from "./manual";

export const MAINTAINER = "edgeha developers <edgeha@example.org>";

export interface Architecture {
  debian: "amd64" | "arm64";
  executable: string;
}

/** The lowest libc6 the executable runs on: the newest GLIBC_ symbol version it needs (readelf). */
export function glibcVersionNeeded(readelfVersionInfo: string): string {
  const versions = [...readelfVersionInfo.matchAll(/GLIBC_(\d+(?:\.\d+)+)/g)].map((match) => match[1]!);
  if (versions.length === 0) throw new Error("no GLIBC_ version in the executable's version needs");
  const key = (version: string) => version.split(".").map(Number);
  return versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let index = 0; index < Math.max(x.length, y.length); index++) if ((x[index] ?? 0) !== (y[index] ?? 0)) return (x[index] ?? 0) - (y[index] ?? 0);
    return 0;
  })[versions.length - 1]!;
}

/** The control file's fields, in Debian's order. */
export function controlFile(fields: { version: string; architecture: string; installedSizeKiB: number; glibc: string }): string {
  const relations = packageRelations();
  // adduser: postinst makes the haclient group with addgroup.
  const depends = [`libc6 (>= ${fields.glibc})`, "libgcc-s1", "libstdc++6", "adduser", ...relations.depends];
  return [
    "Package: edgeha",
    `Version: ${fields.version}`,
    `Architecture: ${fields.architecture}`,
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${fields.installedSizeKiB}`,
    `Depends: ${depends.join(", ")}`,
    `Recommends: ${relations.recommends.join(", ")}`,
    `Suggests: ${relations.suggests.join(", ")}`,
    "Section: admin",
    "Priority: optional",
    "Description: high-availability cluster agent for small clusters of appliances",
    " edgeha does the work of Pacemaker, Corosync, fence-agents and pcs in one",
    " program, for small clusters and above all two-node pairs: a virtual IP in",
    " front of HAProxy and memcached, a storage head, a gateway.",
    " .",
    " It provides membership and quorum over encrypted UDP links, a replicated",
    " configuration, a designated controller with Pacemaker's scheduling rules,",
    " OCF, systemd and LSB resources, and fencing through IPMI (LAN and serial),",
    " SCSI-3 persistent reservations, fence_xvm and fence-agents programs.",
    " .",
    " The service edgeha.service is installed but neither enabled nor started.",
    "",
  ].join("\n");
}

function write(file: string, content: string | Buffer, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Roughly what dpkg-gencontrol counts: each file's size rounded up to KiB, plus one per directory. */
function installedSizeKiB(directory: string): number {
  let total = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    total += entry.isDirectory() ? 1 + installedSizeKiB(full) : Math.ceil(statSync(full).size / 1024);
  }
  return total;
}

function changelog(version: string, date: Date): string {
  return `edgeha (${version}) unstable; urgency=medium\n\n  * Built by ./scripts/build from the edgeha repository.\n\n -- ${MAINTAINER}  ${date.toUTCString().replace("GMT", "+0000")}\n`;
}

export function buildPackage(root: string, architecture: Architecture, version: string, date: Date): string {
  const staging = path.join(root, "dist", "deb", `edgeha_${version}_${architecture.debian}`);
  rmSync(staging, { recursive: true, force: true });
  const at = (...parts: string[]) => path.join(staging, ...parts);
  const debian = (name: string) => readFileSync(path.join(root, "scripts", "debian", name));
  const info = { version, date: date.toISOString().slice(0, 10) };
  const gzip = (text: string) => gzipSync(Buffer.from(text), { level: 9 });

  mkdirSync(at("usr", "sbin"), { recursive: true });
  copyFileSync(path.join(root, architecture.executable), at("usr", "sbin", "edgeha"));
  chmodSync(at("usr", "sbin", "edgeha"), 0o755);
  write(at("lib", "systemd", "system", "edgeha.service"), debian("edgeha.service"));
  write(at("etc", "edgeha", "edgeha.yaml.example"), readFileSync(path.join(root, "docs", "edgeha.example.yaml")));
  write(at("etc", "default", "edgeha"), debian("edgeha.default"));
  mkdirSync(at("var", "lib", "edgeha"), { recursive: true });
  chmodSync(at("var", "lib", "edgeha"), 0o700);
  write(at("usr", "share", "man", "man8", "edgeha.8.gz"), gzip(edgehaManual(allCommands(), info)));
  write(at("usr", "share", "man", "man5", "edgeha.yaml.5.gz"), gzip(configManual(readFileSync(path.join(root, "docs", "config.md"), "utf8"), info)));
  write(at("usr", "share", "bash-completion", "completions", "edgeha"), bashCompletion(allCommands()));
  write(at("usr", "share", "doc", "edgeha", "copyright"), debian("copyright"));
  write(at("usr", "share", "doc", "edgeha", "changelog.gz"), gzip(changelog(version, date)));
  write(at("usr", "share", "lintian", "overrides", "edgeha"), debian("lintian-overrides"));

  const md5sums = filesUnder(staging).sort().map((file) => `${createHash("md5").update(readFileSync(file)).digest("hex")}  ${path.relative(staging, file)}`);
  const glibc = glibcVersionNeeded(execFileSync("readelf", ["--version-info", "--wide", path.join(root, architecture.executable)], { encoding: "utf8", maxBuffer: 64 << 20 }));
  const size = installedSizeKiB(staging);
  write(at("DEBIAN", "control"), controlFile({ version, architecture: architecture.debian, installedSizeKiB: size, glibc }));
  write(at("DEBIAN", "conffiles"), "/etc/default/edgeha\n/etc/edgeha/edgeha.yaml.example\n");
  write(at("DEBIAN", "md5sums"), `${md5sums.join("\n")}\n`);
  for (const script of ["postinst", "prerm", "postrm"]) write(at("DEBIAN", script), debian(script), 0o755);

  const output = path.join(root, "dist", `edgeha_${version}_${architecture.debian}.deb`);
  // Owned by root in the package whoever builds it; xz as Debian's own packages are.
  const level = process.env.EDGEHA_DEB_XZ_LEVEL ?? "6";
  if (!/^\d$/.test(level)) throw new Error(`EDGEHA_DEB_XZ_LEVEL must be 0..9, not '${level}'`);
  execFileSync("dpkg-deb", ["--root-owner-group", "-Zxz", `-z${level}`, "--build", staging, output], { stdio: ["ignore", "ignore", "inherit"] });
  return output;
}

function main(): void {
  const root = path.resolve(process.argv[2] ?? ".");
  const version = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  // Reproducible builds set SOURCE_DATE_EPOCH; otherwise the packages carry today's date.
  const date = process.env.SOURCE_DATE_EPOCH ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000) : new Date();
  for (const architecture of [{ debian: "amd64", executable: "dist/edgeha" }, { debian: "arm64", executable: "dist/edgeha-arm64" }] as const) {
    const output = buildPackage(root, architecture, version, date);
    process.stdout.write(`package: ${path.relative(root, output)} ${(statSync(output).size / 1e6).toFixed(1)} MB\n`);
  }
  rmSync(path.join(root, "dist", "deb"), { recursive: true, force: true });
}

if (require.main === module) main();
