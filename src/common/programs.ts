// Every external program edgeha runs, declared once: the program, the Debian package that
// ships it, and why it is run. The install lists come from here and nowhere else:
//   - the edgeha Debian package's Depends / Recommends / Suggests (packageRelations),
//   - what ./scripts/test installs (programs the product, the build and the tests run),
//   - what ./scripts/demo installs (the product's, the build's and the demo's own).
// Code spawns programs only through src/common/spawn.ts, which takes a name from this
// registry (or a family below, for programs named by the configuration); a unit test
// fails when any other module imports node:child_process, and when a library we call
// (systeminformation) runs a program that is not listed here.
//
// Adding a program: add an entry, say why, and say who runs it. `product` is how the
// edgeha package relates to it (Debian policy 7.2):
//   depends     needed for what every cluster does (a VIP needs ip and arping),
//   recommends  needed for a feature most clusters use (OCF agents, fence_* programs),
//   suggests    a service edgeha manages but that the administrator chooses to run; such
//               packages start their own service when installed, which would run beside
//               the cluster's copy, so apt must not pull them in unasked,
//   optional    tried when present; without it a detail is missing, nothing fails
//               (systeminformation's probes).
// `build`, `test` and `demo` mark programs that ./scripts/build, the tests or the demo run
// beside the product's own (the tests and the demo run the product's programs too).

export type ProductNeed = "depends" | "recommends" | "suggests" | "optional";

export interface ProgramEntry {
  /** The Debian package that ships the program. */
  readonly package: string;
  /** Packages it needs that its own package does not pull in (the arm64 libraries qemu runs against). */
  readonly alsoPackages?: readonly string[];
  /** Why it is run, and by what. */
  readonly why: string;
  /** How the edgeha package relates to it; absent when only the build, tests or demo run it. */
  readonly product?: ProductNeed;
  readonly build?: true;
  readonly test?: true;
  readonly demo?: true;
  /** In a Debian package marked Essential (always installed): never named in Depends. */
  readonly essential?: true;
  /** The file edgeha runs, when it does not look the name up on PATH. */
  readonly path?: string;
}

export const PROGRAMS = {
  // ---- run by the product (the edgeha executable)
  sh: { package: "dash", essential: true, product: "depends", path: "/bin/sh", why: "runs the commands an administrator configures: the process agent's command and health check, fence devices' passwd_script" },
  ip: { package: "iproute2", product: "depends", why: "the ipaddr agent adds and removes virtual IP addresses; systeminformation lists interfaces and routes with it" },
  arping: { package: "iputils-arping", product: "depends", why: "the ipaddr agent's duplicate address detection (arping -D) and its gratuitous ARP after adding an IPv4 VIP (arping -U)" },
  ping: { package: "iputils-ping", product: "recommends", why: "the ping agent sets a node attribute from the reachability of hosts" },
  systemctl: { package: "systemd", product: "recommends", why: "resources of class systemd are started, stopped and monitored through it; edgeha itself runs as a systemd service, which `cluster start|stop|enable|disable` and `cluster join --start` drive" },
  sg_persist: { package: "sg3-utils", product: "recommends", why: "SCSI-3 persistent reservation fencing of Linux block devices (/dev/sd*, /dev/mapper/*); Node has no ioctl()" },
  haproxy: { package: "haproxy", product: "suggests", path: "/usr/sbin/haproxy", demo: true, why: "the haproxy agent checks (haproxy -c) and starts it; its package starts its own haproxy.service on install, which must not run beside the cluster's" },
  memcached: { package: "memcached", product: "suggests", path: "/usr/bin/memcached", demo: true, why: "the memcached agent starts it; its package starts its own memcached.service on install, which must not run beside the cluster's" },
  wdctl: { package: "util-linux", essential: true, product: "optional", why: "sets the watchdog's timeout (watchdog.timeout_s) where the driver allows it: Node has no ioctl(); without it the driver's timeout stays" },
  // systeminformation's probes for the node facts (cpu, memory, disks, interfaces)
  dd: { package: "coreutils", essential: true, product: "depends", why: "reads and writes sbd disks given as /dev paths with direct I/O (O_DIRECT, as sbd does; Node cannot align buffers for it): the fence_sbd driver and the node watching its slot (watchdog.sbd_devices)" },
  cat: { package: "coreutils", essential: true, product: "optional", why: "systeminformation reads /proc and /sys files through cat (node facts)" },
  df: { package: "coreutils", essential: true, product: "optional", why: "systeminformation reads free disk space (node facts disk_free_mb:MOUNT)" },
  grep: { package: "grep", essential: true, product: "optional", why: "systeminformation filters its probes' output" },
  lscpu: { package: "util-linux", essential: true, product: "optional", why: "systeminformation reads the CPU count (node fact cpu_cores)" },
  dmidecode: { package: "dmidecode", product: "optional", why: "systeminformation reads the CPU socket; without it that detail is left out" },
  nmcli: { package: "network-manager", product: "optional", why: "systeminformation asks NetworkManager about interfaces when it runs; edgeha does not need it" },
  iw: { package: "iw", product: "optional", why: "systeminformation asks for the speed of wireless interfaces; edgeha does not need it" },

  // ---- run by ./scripts/build (and so by the demo and the tests, which build)
  node: { package: "nodejs", build: true, why: "runs esbuild, postject and the build's scripts (the product itself carries its own Node.js 24)" },
  npm: { package: "npm", build: true, why: "npm ci installs the JavaScript dependencies; npm pack fetches the Node.js 24 binaries" },
  "llvm-strip": { package: "llvm", build: true, why: "strips the Node.js binaries before the application blob is injected" },
  openssl: { package: "openssl", build: true, test: true, why: "checks the fetched Node.js binaries against their pinned sha512 (the build's, and the tests' when the system Node.js is older than vitest needs)" },
  tar: { package: "tar", essential: true, build: true, why: "unpacks the Node.js binaries from their npm tarballs" },
  gcc: { package: "gcc", alsoPackages: ["libc6-dev"], build: true, why: "compiles edgeha's own addons (src/node/native/*.c: systemd notify, liveness) for x86_64; scripts/bundle.mjs for the machine it runs on" },
  "aarch64-linux-gnu-gcc": { package: "gcc-aarch64-linux-gnu", alsoPackages: ["libc6-dev-arm64-cross"], build: true, why: "compiles edgeha's own addons for arm64" },
  readelf: { package: "binutils", build: true, why: "reads the newest C library version the executables need (the packages' Depends on libc6)" },
  "dpkg-deb": { package: "dpkg", essential: true, build: true, why: "writes the Debian packages dist/edgeha_VERSION_amd64.deb and _arm64.deb" },
  xz: { package: "xz-utils", test: true, why: "the footprint benchmark compresses the executable (xz -9) to report its shipped size" },
  keepalived: { package: "keepalived", test: true, why: "bench/failover/peers.sh measures keepalived's failover beside edgeha's (the speed edgeha must match)" },
  "stress-ng": { package: "stress-ng", test: true, why: "loads a node's CPUs and memory in the false-failover checks (bench/failover/false-failover)" },

  // ---- run by the tests (beside the product's programs, which they run too)
  "qemu-aarch64-static": { package: "qemu-user-static", alsoPackages: ["libc6-arm64-cross", "libstdc++6-arm64-cross", "libgcc-s1-arm64-cross"], test: true, why: "runs the arm64 executable on an x86_64 machine (test/integration/build, the arm64 package)" },
  ipmi_sim: { package: "openipmi", test: true, demo: true, why: "a simulated BMC per node: IPMI fencing in the tests and the demo" },
  ipmitool: { package: "ipmitool", test: true, demo: true, why: "a second IPMI client: confirms what our driver did to the simulated BMC, and tells the demo when its BMCs answer" },
  fence_ipmilan: { package: "fence-agents", test: true, why: "fence-agents' own IPMI agent, run through our external driver in the tests (the product runs any fence_* program: the fence-agent family below)" },
  fence_dummy: { package: "fence-agents", test: true, why: "a fence-agents program that fences by a status file: the namespace pair fails over through it (test/integration/cluster/pair-fence-agents)" },
  fence_redfish: { package: "fence-agents", test: true, why: "the fence-agents Redfish client: proves the Redfish test BMC behaves like a BMC before our redfish driver is tested against it (and is the scale in bench/fencing/redfish-run.sh)" },
  redfishtool: { package: "redfishtool", test: true, why: "DMTF's Redfish client: a second check of the Redfish test BMC (basic auth and sessions)" },
  mkfifo: { package: "coreutils", essential: true, test: true, demo: true, why: "the testbed's watchdog stand-in listens on a named pipe (test/support/watchdog-standin.mjs; the tests and ./scripts/demo bmc-dead)" },
  sbd: { package: "sbd", test: true, why: "the STONITH Block Device daemon's own tool: creates the shared disk, lists its slots and writes messages, proving edgeha's sbd layout (test/integration/fencing/sbd-disk)" },
  losetup: { package: "mount", test: true, why: "a loop device over a file: the sbd test's stand-in for a shared LUN (sbd needs a block device)" },
  truncate: { package: "coreutils", essential: true, test: true, why: "makes the files behind the test LUNs" },
  socat: { package: "socat", test: true, why: "pseudo-terminal pairs for the serial BMC tests" },
  tgtd: { package: "tgt", test: true, why: "an iSCSI target with SCSI-3 persistent reservations for the scsi fencing tests" },
  tgtadm: { package: "tgt", test: true, why: "configures the test iSCSI target" },
  fence_virtd: { package: "fence-virtd", alsoPackages: ["fence-virt", "libvirt-daemon", "libvirt-clients"], test: true, why: "the fence_xvm host daemon our xvm driver talks to, with libvirt's test:///default driver behind it" },
  pcs: { package: "pcs", test: true, why: "pcs itself, run offline with -f on CIB files: the reference edgeha's pcs grammar is compared with (test/integration/admin/pcs-compare)" },
  cibadmin: { package: "pacemaker-cli-utils", test: true, why: "what pcs runs for cluster cib-push, run offline on a CIB file by the pcs comparison (pcs -f cannot push)" },
  "linbit/drbd": { package: "drbd-utils", test: true, path: "/usr/lib/ocf/resource.d/linbit/drbd", why: "the OCF agent Clusters from Scratch configures (ocf:linbit:drbd); pcs and edgeha read its meta-data in the pcs comparison" },
  "pacemaker/controld": { package: "pacemaker", test: true, path: "/usr/lib/ocf/resource.d/pacemaker/controld", why: "the OCF agent Clusters from Scratch configures (ocf:pacemaker:controld); pcs and edgeha read its meta-data in the pcs comparison" },
  crm_simulate: { package: "pacemaker-cli-utils", test: true, why: "Pacemaker's scheduler as the reference for exported CIBs, the scheduler benchmark and the graph comparison (scripts/scheduler-graph-compare.mjs)" },
  "ocf-tester": { package: "resource-agents", alsoPackages: ["libxml2-utils"], test: true, why: "checks our built-in agents against the OCF API (the product runs OCF agents: the ocf-agent family below); it validates meta-data with xmllint, which resource-agents only recommends (libxml2-utils)" },
  curl: { package: "curl", test: true, demo: true, why: "a client that fetches through the VIP in the namespace testbed and the demo" },
  iptables: { package: "iptables", test: true, why: "cuts links in the namespace testbed" },
  git: { package: "git", test: true, why: "the rolling upgrade test exports an older commit of this repository (git archive) to build the release it upgrades from" },
  nsenter: { package: "util-linux", essential: true, test: true, why: "runs commands inside the test's systemd namespaces" },
  unshare: { package: "util-linux", essential: true, test: true, why: "makes the PID, mount and network namespaces a test's systemd runs in" },
  pgrep: { package: "procps", test: true, why: "finds the test systemd's PID 1 and the processes a test expects" },
  tc: { package: "iproute2", test: true, why: "adds delay on a link (netem) in the membership tests" },
  systemd: { package: "systemd", test: true, path: "/lib/systemd/systemd", why: "a real systemd as PID 1 of namespaces (systemd resources, the edgeha unit)" },
  debootstrap: { package: "debootstrap", test: true, why: "makes the fresh Debian 12 machine (a minbase chroot) that scripts/demo-fresh-debian runs ./scripts/demo in" },
  chroot: { package: "coreutils", essential: true, test: true, why: "runs ./scripts/demo inside the fresh machine of scripts/demo-fresh-debian" },
  lintian: { package: "lintian", test: true, why: "checks the Debian packages against Debian policy (test/integration/package)" },
  man: { package: "man-db", test: true, why: "renders the generated man pages to check them (test/unit/cli/manual.test.ts)" },
  time: { package: "time", test: true, path: "/usr/bin/time", why: "peak memory of a command in the build tests" },
  promtool: { package: "prometheus", test: true, why: "checks the agent's /metrics output (promtool check metrics)" },
  chromium: { package: "chromium", test: true, path: "/usr/bin/chromium", why: "renders the status page headless and takes its screenshots" },
  "alert_file.sh.sample": { package: "pacemaker", test: true, path: "/usr/share/pacemaker/alerts/alert_file.sh.sample", why: "Pacemaker's sample alert agent, run unmodified by the alert tests" },
  "alert_snmp.sh.sample": { package: "pacemaker", test: true, path: "/usr/share/pacemaker/alerts/alert_snmp.sh.sample", why: "Pacemaker's SNMP sample alert agent, run unmodified by the alert tests" },
  snmptrap: { package: "snmp", test: true, why: "alert_snmp.sh.sample sends its traps with it" },
  snmptrapd: { package: "snmptrapd", test: true, path: "/usr/sbin/snmptrapd", why: "receives the alert tests' SNMP traps" },
} as const satisfies Record<string, ProgramEntry>;

export type ProgramName = keyof typeof PROGRAMS;

/**
 * Programs named by the configuration rather than by edgeha: the family says which package
 * usually ships them and why they run. Code that runs one passes its family and the path.
 */
export const PROGRAM_FAMILIES = {
  "ocf-agent": { package: "resource-agents", product: "recommends", why: "OCF resource agents under OCF_ROOT/resource.d/PROVIDER (resources of class ocf)" },
  "fence-agent": { package: "fence-agents", product: "recommends", why: "fence_* programs for stonith devices whose type is not built in" },
  "lsb-script": { package: "(the service's own)", why: "init scripts under /etc/init.d (resources of class lsb), shipped by the services themselves" },
  "alert-agent": { package: "pacemaker", why: "alert agents the CIB's <alerts> name (Pacemaker's samples are in /usr/share/pacemaker/alerts; any program works)" },
} as const satisfies Record<string, { package: string; why: string; product?: ProductNeed }>;

export type ProgramFamily = keyof typeof PROGRAM_FAMILIES;

export function isProgramName(name: string): name is ProgramName {
  return Object.prototype.hasOwnProperty.call(PROGRAMS, name);
}

export function programEntry(name: ProgramName): ProgramEntry {
  return PROGRAMS[name];
}

/** What edgeha runs for a registry name: its fixed path, else the name looked up on PATH. */
export function programCommand(name: ProgramName): string {
  const entry: ProgramEntry = PROGRAMS[name];
  return entry.path ?? name;
}

export type InstallList = "test" | "demo" | "build";

function entries(): Array<[ProgramName, ProgramEntry]> {
  return Object.entries(PROGRAMS) as Array<[ProgramName, ProgramEntry]>;
}

/** One line of an install plan: the program (absent for a family), the file to look for, its packages. */
export interface InstallStep {
  readonly program?: string;
  readonly command?: string;
  readonly package: string;
  readonly alsoPackages: readonly string[];
}

/**
 * What a script installs, program by program:
 *   build  what ./scripts/build runs;
 *   demo   the build's, the product's Depends and what the demo's pair runs (haproxy, memcached, a BMC, curl);
 *   test   the build's, everything the product may run (but not the optional probes) and the tests' own,
 *          and the packages of the program families (resource-agents, fence-agents).
 * A program already on the machine needs no package (Node.js from another source brings its own npm).
 */
export function installPlan(list: InstallList): InstallStep[] {
  const wanted = entries().filter(([, entry]) => {
    if (entry.build) return true;
    if (list === "build") return false;
    if (list === "demo") return entry.demo === true || entry.product === "depends";
    return entry.test === true || (entry.product !== undefined && entry.product !== "optional");
  });
  const steps: InstallStep[] = wanted.map(([name, entry]) => ({ program: name, command: entry.path ?? name, package: entry.package, alsoPackages: entry.alsoPackages ?? [] }));
  if (list === "test") {
    for (const family of Object.values(PROGRAM_FAMILIES)) if ("product" in family) steps.push({ package: family.package, alsoPackages: [] });
  }
  return steps;
}

/** Every Debian package of an install plan, sorted and without repeats. */
export function installList(list: InstallList): string[] {
  return [...new Set(installPlan(list).flatMap((step) => [step.package, ...step.alsoPackages]))].sort();
}

/** The edgeha package's relation fields: every package the product runs, by how it needs it. */
export function packageRelations(): { depends: string[]; recommends: string[]; suggests: string[] } {
  const pick = (need: ProductNeed) => {
    const programs = entries().filter(([, entry]) => entry.product === need && !entry.essential).map(([, entry]) => entry.package);
    const families = Object.values(PROGRAM_FAMILIES).filter((family) => "product" in family && family.product === need).map((family) => family.package);
    return [...new Set([...programs, ...families])].sort();
  };
  return { depends: pick("depends"), recommends: pick("recommends"), suggests: pick("suggests") };
}
