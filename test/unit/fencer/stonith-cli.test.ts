import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { cli } from "../../support/cli";


describe("edgeha stonith", () => {
  it("lists every built-in driver", async () => {
    const result = await cli("stonith", "list-drivers", "--json");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.out).map((driver: { name: string }) => driver.name)).toEqual(["ipmilan", "ipmi-serial", "redfish", "sbd", "scsi", "xvm"]);
  });
  it("describes a driver's parameters, and names the known drivers for an unknown one", async () => {
    const described = await cli("stonith", "describe", "xvm");
    expect(described.status).toBe(0);
    expect(described.out).toMatch(/key_file\s+Shared key file/);
    const unknown = await cli("stonith", "describe", "nonesuch");
    expect(unknown.status).toBe(2);
    expect(unknown.err).toMatch(/no fence driver named "nonesuch"/);
  });
  it("records a confirmation (only with --force when nobody can answer) in a history file only its owner can read and shows it per node", async () => {
    const directory = mkdtempSync(path.join(tmpdir(), "eh-history-"));
    try {
      const file = path.join(directory, "history.json");
      expect((await cli("stonith", "history", "--history", file)).out).toBe("no fencing recorded\n");
      const refused = await cli("stonith", "confirm", "beta", "--from", "alpha", "--history", file);
      expect(refused.status).toBe(2);
      expect(refused.err).toMatch(/refusing to confirm beta without --force/);
      expect((await cli("stonith", "history", "--history", file)).out).toBe("no fencing recorded\n");
      expect((await cli("stonith", "confirm", "beta", "--from", "alpha", "--history", file, "--force")).status).toBe(0);
      expect((statSync(file).mode & 0o777).toString(8)).toBe("600");
      expect((await cli("stonith", "history", "beta", "--history", file)).out).toMatch(/confirm beta: done .*alpha confirmed by hand that beta is down/);
      expect((await cli("stonith", "history", "gamma", "--history", file)).out).toBe("no fencing of gamma recorded\n");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
  it("asks the running cluster when no file is named, and says when no agent answers", async () => {
    const socket = path.join(tmpdir(), `eh-no-agent-${process.pid}.sock`);
    for (const args of [["fence", "beta"], ["confirm", "beta", "--force"], ["history"]]) {
      const result = await cli("stonith", ...args, "--socket", socket);
      expect(result.status).toBe(1);
      expect(result.err).toMatch(/cannot reach the agent on .*eh-no-agent/);
    }
  });
  it("refuses --off with --reboot", async () => {
    const result = await cli("stonith", "fence", "beta", "--off", "--reboot", "--cib", "/nonexistent");
    expect(result.status).toBe(2);
  });
});
