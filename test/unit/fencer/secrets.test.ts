import { describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { redact, resolveSecrets, type FenceDeviceConfig } from "../../../src/fencer/index";

function device(options: Record<string, string>, secretOptions: string[] = []): FenceDeviceConfig {
  return { id: "fence-1", driver: "xvm", options, secretOptions, hostList: [], hostMap: {}, hostCheck: "none", delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 1, actionTimeoutMs: 1000, bannedNodes: [], needsUnfencing: false };
}

describe("fence device secrets", () => {
  it("reads a password file of mode 0600 and refuses one others may read", async () => {
    const directory = mkdtempSync(path.join(tmpdir(), "eh-secret-"));
    try {
      const file = path.join(directory, "pw");
      writeFileSync(file, "from-a-file\n");
      chmodSync(file, 0o600);
      expect(await resolveSecrets(device({ passwd_file: file }))).toEqual({ options: { passwd: "from-a-file" }, secretValues: ["from-a-file"] });
      chmodSync(file, 0o644);
      await expect(resolveSecrets(device({ passwd_file: file }))).rejects.toThrow(/mode 644; group and others must have no access/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
  it("takes a password from passwd_script and never names it in an error", async () => {
    expect((await resolveSecrets(device({ passwd_script: "echo scripted-pw; echo second-line" }))).options["passwd"]).toBe("scripted-pw");
    const failed = await resolveSecrets(device({ passwd_script: "echo leaked-pw; exit 3" })).then(() => undefined, (error: unknown) => error);
    expect(String(failed)).toMatch(/device fence-1: passwd_script failed \(exit status 3\)/);
    expect(String(failed)).not.toContain("leaked-pw");
    await expect(resolveSecrets(device({ passwd_script: "true" }))).rejects.toThrow(/printed nothing/);
  });
  it("a passwd_script does not block the agent: its timers fire while the script runs", async () => {
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 20);
    try {
      const resolved = await resolveSecrets(device({ passwd_script: "sleep 0.3; echo late-pw" }));
      expect(resolved.options["passwd"]).toBe("late-pw");
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(timer);
    }
  });
  it("redacts every secret value, longest first", async () => {
    const { secretValues } = await resolveSecrets(device({ passwd: "abc", token: "abcdef" }, ["passwd", "token"]));
    expect(redact("login failed with abcdef and abc", secretValues)).toBe("login failed with [secret] and [secret]");
  });
});
