// The lsb and systemd classes with scripts of our own: an init script in a directory of our
// own (EDGEHA_LSB_DIR) and a fake systemctl first on PATH, so the mapping of their results
// to OCF's is checked without a real init system.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mapLsbExit, runLsbAction, runSystemdAction } from "../../../src/executor";

const directory = mkdtempSync(join(tmpdir(), "eh-classes-"));
const savedPath = process.env.PATH;

beforeAll(() => {
  // An init script whose state is a file; "status" follows LSB (0 running, 3 stopped).
  writeFileSync(join(directory, "thing"), `#!/bin/sh\ncase "$1" in start) touch ${directory}/thing.on;; stop) rm -f ${directory}/thing.on;; status) [ -e ${directory}/thing.on ] && exit 0; exit 3;; *) exit 3;; esac\n`);
  writeFileSync(join(directory, "broken"), "#!/bin/sh\necho 'cannot bind port 80' >&2\nexit 1\n");
  // A systemctl that keeps unit states in files.
  writeFileSync(join(directory, "systemctl"), `#!/bin/sh\nunit=$2\ncase "$1" in start) [ "$unit" = missing.service ] && { echo "Unit missing.service not found." >&2; exit 5; }; echo active > ${directory}/$unit;; stop) echo inactive > ${directory}/$unit;; is-active) cat ${directory}/$unit 2>/dev/null || echo inactive; [ "$(cat ${directory}/$unit 2>/dev/null)" = active ];; esac\n`);
  for (const file of ["thing", "broken", "systemctl"]) chmodSync(join(directory, file), 0o755);
  process.env.PATH = `${directory}:${savedPath}`;
});

afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(directory, { recursive: true, force: true });
});

describe("lsb", () => {
  it("maps status as Pacemaker does: 0 running, 1-3 not running, others an error", () => {
    expect([0, 1, 2, 3, 4, 150].map((status) => mapLsbExit("monitor", status))).toEqual([0, 7, 7, 7, 1, 1]);
    expect([0, 1, 5, 7, 42].map((status) => mapLsbExit("start", status))).toEqual([0, 1, 5, 7, 1]);
  });

  it("runs an init script's start, status and stop; a missing script is not installed; a failure keeps its words", async () => {
    expect((await runLsbAction("thing", "monitor", 5000, directory)).rc).toBe(7);
    expect((await runLsbAction("thing", "start", 5000, directory)).rc).toBe(0);
    expect((await runLsbAction("thing", "monitor", 5000, directory)).rc).toBe(0);
    expect((await runLsbAction("thing", "stop", 5000, directory)).rc).toBe(0);
    expect((await runLsbAction("thing", "monitor", 5000, directory)).rc).toBe(7);
    expect(await runLsbAction("nothing", "start", 5000, directory)).toMatchObject({ rc: 5, reason: expect.stringMatching(/not installed/) });
    expect(await runLsbAction("broken", "start", 5000, directory)).toMatchObject({ rc: 1, reason: "cannot bind port 80" });
    expect((await runLsbAction("../etc/passwd", "start", 5000, directory)).rc).toBe(6);
  });
});

describe("systemd", () => {
  it("starts and stops a unit through systemctl and monitors it by its state", async () => {
    expect((await runSystemdAction("web", "monitor", 5000)).rc).toBe(7);
    expect((await runSystemdAction("web", "start", 5000)).rc).toBe(0);
    expect((await runSystemdAction("web.service", "monitor", 5000)).rc).toBe(0);
    expect((await runSystemdAction("web", "stop", 5000)).rc).toBe(0);
    expect((await runSystemdAction("web", "monitor", 5000)).rc).toBe(7);
    writeFileSync(join(directory, "db.service"), "failed\n");
    expect(await runSystemdAction("db", "monitor", 5000)).toMatchObject({ rc: 1, reason: "db.service is in the failed state" });
    expect(await runSystemdAction("missing", "start", 5000)).toMatchObject({ rc: 5 });
  });
});
