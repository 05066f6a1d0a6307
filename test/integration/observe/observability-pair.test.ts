// Observability of a live pair (two real agents on loopback, an ipmi_sim BMC each, stonith on):
// /metrics scraped from both and checked by promtool; status --json held to the schema; the
// status page rendered in headless Chromium before and after a failover (screenshots kept
// with EDGEHA_KEEP); Pacemaker's alert_file.sh.sample, unmodified, recording node, resource
// and fencing events across the failover, and alert_snmp.sh.sample, unmodified, sending them
// (and an attribute change) as traps that a real snmptrapd receives; `status --full` showing
// the operation history, node attributes and transitions; the DC's recorded input replayed to
// the same graph; a report from the pair before the failover, and one from the survivor after
// it naming the member it could not reach, with no secret inside either.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import Ajv from "ajv";
import { bundleArgs, reasonMissing, repositoryRoot } from "../../support/environment";
import { startSimBmc, type SimBmc } from "../../support/ipmi/sim";

const ALERT_SAMPLE = "/usr/share/pacemaker/alerts/alert_file.sh.sample";
const SNMP_SAMPLE = "/usr/share/pacemaker/alerts/alert_snmp.sh.sample";
const missing = `${reasonMissing("ipmi_sim", "ipmitool", "promtool", "chromium", "snmptrap", "snmptrapd")}${[ALERT_SAMPLE, SNMP_SAMPLE].filter((file) => !existsSync(file)).map((file) => ` needs ${file} (package pacemaker)`).join("")}`.trim();
/** Minimal stand-ins for the IETF MIBs that Debian does not ship (see test/fixtures/snmp/README.md). */
const mibs = join(repositoryRoot, "test", "fixtures", "snmp");
const trapPort = 35100 + (process.pid % 100);
const directory = mkdtempSync(join(tmpdir(), "eho-"));
const port = 34700 + (process.pid % 100);
const bmcPort = 34800 + (process.pid % 100) * 2;
const metricsPort = 34900 + (process.pid % 50) * 2;
const octet = 10 + (process.pid % 200);
const stateFiles = join(directory, "state");
const agents = new Map<string, ChildProcess>();
let trapReceiver: ChildProcess | undefined;
const bmcs = new Map<string, SimBmc>();
const ocfRoot = join(repositoryRoot, "test", "fixtures", "ocf");
const address = (name: string) => `127.${octet}.7.${name === "n1" ? 1 : 2}`;
const metricsUrl = (name: string, path = "/metrics") => `http://${address(name)}:${metricsPort + (name === "n1" ? 0 : 1)}${path}`;

function start(name: string): void {
  const log = createWriteStream(join(directory, `${name}.log`), { flags: "a" });
  const agent = spawn(process.execPath, [...bundleArgs, "agent", "--config", join(directory, `${name}.yaml`), "--node", name, "--socket", join(directory, `${name}.sock`), "--state-dir", join(directory, name), "--initial-cib", join(directory, "cib.xml")], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, OCF_ROOT: ocfRoot, TZ: "UTC" } });
  agent.stdout!.pipe(log);
  agent.stderr!.pipe(log);
  agents.set(name, agent);
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [...bundleArgs, ...args], { encoding: "utf8", timeout: 70_000 });
}

function status(name: string): { dc: string | null; cluster_state: { resources: Array<{ id: string; role: string; nodes: string[] }>; fencing: Array<{ target: string; state: string }> } | null } | undefined {
  const result = cli("status", "--json", "--socket", join(directory, `${name}.sock`));
  return result.status === 0 ? JSON.parse(result.stdout) : undefined;
}

function running(): string[] {
  return existsSync(stateFiles) ? readdirSync(stateFiles).sort() : [];
}

async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; files: ${running().join(" ")}`);
}

function primitiveXml(id: string): string {
  return `<primitive id="${id}" class="ocf" provider="edgeha-test" type="State"><instance_attributes id="${id}-i"><nvpair id="${id}-d" name="dir" value="${stateFiles}"/></instance_attributes><operations><op id="${id}-m" name="monitor" interval="1s" timeout="5s"/></operations></primitive>`;
}

function fenceXml(node: string, bmc: SimBmc): string {
  return `<primitive id="fence-${node}" class="stonith" type="fence_ipmilan"><instance_attributes id="fence-${node}-i">
    <nvpair id="fence-${node}-1" name="ip" value="127.0.0.1"/><nvpair id="fence-${node}-2" name="ipport" value="${bmc.port}"/><nvpair id="fence-${node}-3" name="username" value="${bmc.user}"/>
    <nvpair id="fence-${node}-4" name="password" value="${bmc.password}"/><nvpair id="fence-${node}-5" name="lanplus" value="1"/><nvpair id="fence-${node}-6" name="pcmk_host_list" value="${node}"/></instance_attributes></primitive>`;
}

function screenshot(url: string, file: string): string {
  const profile = mkdtempSync(join(directory, "chromium-"));
  const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`];
  const shot = spawnSync("/usr/bin/chromium", [...flags, `--screenshot=${file}`, "--window-size=1100,900", url], { encoding: "utf8", timeout: 60_000 });
  expect(existsSync(file), shot.stderr).toBe(true);
  // The DOM as Chromium rendered it (the page has no scripts: this is what a person sees).
  return spawnSync("/usr/bin/chromium", [...flags, "--dump-dom", url], { encoding: "utf8", timeout: 60_000 }).stdout;
}

afterAll(() => {
  for (const agent of agents.values()) agent.kill("SIGKILL");
  trapReceiver?.kill("SIGKILL");
  for (const bmc of bmcs.values()) bmc.stop();
  if (!process.env.EDGEHA_KEEP) rmSync(directory, { recursive: true, force: true });
});

/** The traps snmptrapd logged, one object (varbind name -> value) per trap. */
function traps(): Array<Record<string, string>> {
  const file = join(directory, "traps.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter((line) => line.includes("PACEMAKER-MIB::pacemakerNotificationTrap")).map((line) => {
    const fields: Record<string, string> = {};
    for (const binding of line.split("\t")) {
      const match = /^PACEMAKER-MIB::pacemakerNotification(\w+) = (?:STRING|INTEGER): "?(.*?)"?$/.exec(binding.trim());
      if (match) fields[match[1]!] = match[2]!;
    }
    return fields;
  });
}

describe.skipIf(missing !== "")(`observability of a live pair ${missing}`, () => { // skipped: without ipmi_sim, ipmitool, promtool, chromium, snmptrap, snmptrapd or Pacemaker's sample alert agents; the title names what is missing
  it("scrapes metrics, alerts, records, renders the page and reports across a failover", async () => {
    for (const [index, name] of ["n1", "n2"].entries()) bmcs.set(name, await startSimBmc(bmcPort + index, "on"));
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    for (const name of ["n1", "n2"]) {
      writeFileSync(join(directory, `${name}.yaml`), `cluster_name: eholoop\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nmetrics: { listen: "${address(name)}:${metricsPort + (name === "n1" ? 0 : 1)}" }\nnodes:\n  - { name: n1, id: 1, links: [${address("n1")}] }\n  - { name: n2, id: 2, links: [${address("n2")}] }\n`);
    }
    const alertLog = (name: string) => join(directory, `alerts-${name}.log`);
    // A real snmptrapd receives the SNMP sample agent's traps (v2c, community public).
    writeFileSync(join(directory, "snmptrapd.conf"), "disableAuthorization yes\n");
    trapReceiver = spawn("snmptrapd", ["-f", "-n", "-C", "-c", join(directory, "snmptrapd.conf"), "-M", `+${mibs}`, "-m", "PACEMAKER-MIB:HOST-RESOURCES-MIB", "-Lf", join(directory, "traps.log"), `udp:127.0.0.1:${trapPort}`], { stdio: "ignore" });
    await waitFor("snmptrapd listening", () => existsSync(join(directory, "traps.log")) && readFileSync(join(directory, "traps.log"), "utf8").includes("NET-SNMP version"));
    writeFileSync(join(directory, "cib.xml"), `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0"><configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes><resources>${fenceXml("n1", bmcs.get("n1")!)}${fenceXml("n2", bmcs.get("n2")!)}<group id="web">${primitiveXml("vip")}${primitiveXml("proxy")}</group></resources>
    <constraints/><rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>
    <alerts><alert id="to-file" path="${ALERT_SAMPLE}"><meta_attributes id="am"><nvpair id="am1" name="timestamp-format" value="%Y-%m-%d %H:%M:%S.%06N"/></meta_attributes>
      <recipient id="to-file-log" value="${join(directory, "alerts.log")}"/></alert>
    <alert id="to-snmp" path="${SNMP_SAMPLE}"><instance_attributes id="si">
        <nvpair id="si1" name="trap_options" value="-M +${mibs} -m PACEMAKER-MIB:HOST-RESOURCES-MIB"/><nvpair id="si2" name="trap_snmp_persistent_dir" value="${join(directory, "snmp")}"/></instance_attributes>
      <meta_attributes id="sm"><nvpair id="sm1" name="timestamp-format" value="%Y-%m-%d,%H:%M:%S.%01N"/></meta_attributes>
      <recipient id="to-snmp-trapd" value="127.0.0.1:${trapPort}"/></alert></alerts>
  </configuration><status/></cib>`);
    start("n1");
    start("n2");
    const active = await waitFor("the group started", () => {
      const files = running().filter((file) => !file.startsWith("fence"));
      return files.length === 2 && files[0]!.split("@")[1] === files[1]!.split("@")[1] ? files[0]!.split("@")[1] : undefined;
    });
    const survivor = active === "n1" ? "n2" : "n1";
    void alertLog;

    // Metrics from both members, checked by promtool.
    for (const name of ["n1", "n2"]) {
      const text = await waitFor(`metrics of ${name}`, async () => {
        const body = await (await fetch(metricsUrl(name))).text();
        return body.includes('ha_cluster_pacemaker_resources{') && body.includes(`resource="vip"`) ? body : undefined;
      });
      expect(text).toContain("ha_cluster_corosync_quorate 1");
      expect(text).toContain("ha_cluster_pacemaker_stonith_enabled 1");
      const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
      for (const bmc of bmcs.values()) expect(text).not.toContain(bmc.password);
    }

    // status --json follows the published schema.
    const schema = JSON.parse(readFileSync(join(repositoryRoot, "docs", "status.schema.json"), "utf8")) as object;
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
    const statusJson = JSON.parse(cli("status", "--json", "--socket", join(directory, `${survivor}.sock`)).stdout);
    expect(validate(statusJson), JSON.stringify(validate.errors)).toBe(true);

    // A report from the whole pair (each member's part comes through the cluster in messages of
    // at most 4 MiB): both answered, each part is whole, and no secret is inside.
    const pairBundle = join(directory, "report-pair.tar.gz");
    const pairReport = cli("report", "-o", pairBundle, "--socket", join(directory, `${active}.sock`), "--json");
    expect(pairReport.status, pairReport.stderr).toBe(0);
    expect(JSON.parse(pairReport.stdout)).toMatchObject({ unreachable: [] });
    expect((JSON.parse(pairReport.stdout) as { answered: string[] }).answered.sort()).toEqual(["n1", "n2"]);
    const pairUnpacked = join(directory, "unpacked-pair");
    mkdirSync(pairUnpacked);
    expect(spawnSync("tar", ["-xzf", pairBundle, "-C", pairUnpacked]).status).toBe(0);
    const pairFiles = readdirSync(pairUnpacked, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
    for (const name of ["n1", "n2"]) for (const file of ["cib.json", "agent.log", "status.json", "versions.txt"]) expect(pairFiles.some((each) => each.endsWith(`${name}/${file}`)), `${name}/${file}`).toBe(true);
    expect(readFileSync(pairFiles.find((each) => each.endsWith("summary.txt"))!, "utf8")).toContain("members that could not be reached: none");
    for (const file of pairFiles) {
      const raw = readFileSync(file);
      const text = file.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
      for (const bmc of bmcs.values()) expect(text, file).not.toContain(bmc.password);
    }

    // The page before the failover.
    const shots = process.env.EDGEHA_KEEP ? directory : join(directory, "shots");
    mkdirSync(shots, { recursive: true });
    const before = screenshot(metricsUrl(survivor, "/"), join(shots, "status-before.png"));
    expect(before).toMatch(new RegExp(`<td>vip</td>.*?<td>${active}</td>`, "s"));

    agents.get(active)!.kill("SIGKILL");
    await waitFor("the group on the survivor", () => running().includes(`vip@${survivor}`) && running().includes(`proxy@${survivor}`), 60_000);
    await waitFor("the fencing in the survivor's status", () => status(survivor)?.cluster_state?.fencing.some((record) => record.target === active && record.state === "done"));

    // The page after: the group runs on the survivor, the fencing is listed.
    const after = await waitFor("the page after the failover", () => {
      const dom = screenshot(metricsUrl(survivor, "/"), join(shots, "status-after.png"));
      return new RegExp(`<td>vip</td>.*?<td>${survivor}</td>`, "s").test(dom) ? dom : undefined;
    });
    expect(after).toContain(`<td>${active}</td><td>reboot</td><td>done</td>`);
    expect(after).not.toBe(before);

    // Metrics of the survivor answer and still pass promtool.
    const afterMetrics = await (await fetch(metricsUrl(survivor))).text();
    expect(spawnSync("promtool", ["check", "metrics"], { input: afterMetrics, encoding: "utf8" }).status).toBe(0);
    expect(afterMetrics).toMatch(/edgeha_fence_operations_total\{result="succeeded"\} [1-9]/);
    // The event loop's delay is measured on the agent's own timer (every heartbeat).
    expect(afterMetrics).toMatch(/^edgeha_event_loop_delay_seconds_count [1-9]\d*$/m);
    expect(afterMetrics).toMatch(/^edgeha_event_loop_delay_seconds_bucket\{le="0\.001"\} \d+$/m);

    // The sample alert agent recorded node, resource and fencing events.
    const alerts = await waitFor("alerts of the failover", () => {
      const text = existsSync(join(directory, "alerts.log")) ? readFileSync(join(directory, "alerts.log"), "utf8") : "";
      return text.includes(`Node '${active}' is now 'lost'`) && text.includes("Fencing Operation reboot") && text.includes(`Resource operation 'start' for 'vip' on '${survivor}': OK`) ? text : undefined;
    });
    expect(alerts).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}: /m);

    // Every node logs its own operations (not only the DC): both probed vip; the survivor started it.
    for (const name of ["n1", "n2"]) expect(readFileSync(join(directory, `${name}.log`), "utf8")).toContain(`"msg":"Result of probe operation for vip on ${name}: not running (rc 7, `);
    expect(readFileSync(join(directory, `${survivor}.log`), "utf8")).toMatch(new RegExp(`"durationMs":\\d+[^\\n]*"msg":"Result of start operation for vip on ${survivor}: ok \\(rc 0, \\d+ ms\\)"`));

    // The SNMP sample agent sent the same events as traps, and snmptrapd received them.
    await waitFor("traps of the failover", () => {
      const received = traps();
      return received.some((trap) => trap.Node === active && trap.Description === "lost")
        && received.some((trap) => trap.Node === active && trap.Operation === "reboot")
        && received.some((trap) => trap.Node === survivor && trap.Resource === "vip" && trap.Operation === "start" && trap.ReturnCode === "0");
    });
    // A node attribute changed on the survivor is an attribute alert there.
    const attribute = cli("node", "attribute", survivor, "rack=r1", "--socket", join(directory, `${survivor}.sock`));
    expect(attribute.status, attribute.stderr).toBe(0);
    await waitFor("the attribute trap", () => traps().some((trap) => trap.Node === survivor && trap.AttributeName === "rack" && trap.AttributeValue === "r1"));

    // status --full: the survivor's operation history, node attributes and the transition that fenced, with its reason.
    const full = await waitFor("status --full with the new attribute", () => {
      const result = cli("status", "--full", "--socket", join(directory, `${survivor}.sock`));
      return result.status === 0 && /rack +: r1\t\(permanent\)/.test(result.stdout) ? result.stdout : undefined;
    });
    expect(full).toMatch(new RegExp(`Operations:\\n[^]*\\* Node: ${survivor}:\\n[^]*\\* vip:\\n {6}\\* \\(\\d+\\) start: last-rc-change='[^']+' exec-time=\\d+ms queue-time=\\d+ms rc=0 \\(ok\\)\\n {6}\\* \\(\\d+\\) monitor: interval=1000ms `));
    expect(full).toMatch(new RegExp(`Recent Transitions:\\n[^]*\\* Transition \\d+ \\(DC ${survivor}\\) at [^\\n]*Z: \\w+ in [\\d.]+ s, \\d+ steps: [^\\n]*membership changed[^\\n]*\\n( {4}\\* [^\\n]*\\n)*? {4}\\* \\d+:fence ${active}[^\\n]*\\[done\\]`));
    const fullJson = JSON.parse(cli("status", "--full", "--json", "--socket", join(directory, `${survivor}.sock`)).stdout);
    expect(validate(fullJson), JSON.stringify(validate.errors)).toBe(true);
    expect(fullJson.cluster_state.history.some((entry: { node: string; resource: string; operation: string; execMs?: number }) => entry.node === survivor && entry.resource === "vip" && entry.operation === "start" && entry.execMs !== undefined)).toBe(true);

    // The survivor (DC) recorded its inputs; the one that fenced replays to the same graph.
    const history = JSON.parse(cli("history", "--state-dir", join(directory, survivor), "--json", "--limit", "100").stdout) as Array<{ file: string; reason: string; steps: string[] }>;
    const fencing = history.find((entry) => entry.steps.some((step) => step.includes(`fence ${active}`)));
    expect(fencing, JSON.stringify(history.map((entry) => entry.reason))).toBeDefined();
    expect(fencing!.reason).toMatch(/membership changed/);
    const replay = cli("simulate", "--input", fencing!.file);
    expect(replay.stdout).toContain("Replay: the same graph as recorded");
    expect(replay.status).toBe(0);

    // A report from the survivor: its part, the dead member named as unreachable, no secret.
    const bundle = join(directory, "report.tar.gz");
    const report = cli("report", "-o", bundle, "--socket", join(directory, `${survivor}.sock`), "--json");
    expect(report.status, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ answered: [survivor], unreachable: [{ node: active }] });
    const unpacked = join(directory, "unpacked");
    mkdirSync(unpacked);
    expect(spawnSync("tar", ["-xzf", bundle, "-C", unpacked]).status).toBe(0);
    const files = readdirSync(unpacked, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
    expect(files.some((file) => file.endsWith(`${survivor}/cib.json`))).toBe(true);
    expect(files.some((file) => file.includes(`${survivor}/pe/`))).toBe(true);
    for (const file of files) {
      const raw = readFileSync(file);
      const text = file.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
      for (const bmc of bmcs.values()) expect(text, file).not.toContain(bmc.password);
    }
  }, 240_000);
});
