import { describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { redact, resolveSecrets, type FenceDeviceConfig } from "../../../src/fencer/index";

function device(options: Record<string, string>, secretOptions: string[] = []): FenceDeviceConfig {
  return { id: "fence-1", driver: "xvm", options, secretOptions, hostList: [], hostMap: {}, hostCheck: "none", delayBaseMs: 0, delayMaxMs: 0, offAction: "off", rebootAction: "reboot", retriesMax: 1, actionTimeoutMs: 1000, bannedNodes: [], needsUnfencing: false };
}

describe("fence device secrets", () => {
  it("reads a password file of mode 0600 and refuses one others may read", () => {
    const directory = mkdtempSync(path.join(tmpdir(), "eh-secret-"));
    try {
      const file = path.join(directory, "pw");
      writeFileSync(file, "from-a-file\n");
      chmodSync(file, 0o600);
      expect(resolveSecrets(device({ passwd_file: file }))).toEqual({ options: { passwd: "from-a-file" }, secretValues: ["from-a-file"] });
      chmodSync(file, 0o644);
      expect(() => resolveSecrets(device({ passwd_file: file }))).toThrow(/mode 644; group and others must have no access/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
  it("takes a password from passwd_script and never names it in an error", () => {
    expect(resolveSecrets(device({ passwd_script: "echo scripted-pw" })).options["passwd"]).toBe("scripted-pw");
    expect(() => resolveSecrets(device({ passwd_script: "echo leaked-pw; exit 3" }))).toThrow(/passwd_script failed/);
    try {
      resolveSecrets(device({ passwd_script: "echo leaked-pw; exit 3" }));
    } catch (error) {
      expect(String(error)).not.toContain("leaked-pw");
    }
  });
  it("redacts every secret value, longest first", () => {
    const { secretValues } = resolveSecrets(device({ passwd: "abc", token: "abcdef" }, ["passwd", "token"]));
    expect(redact("login failed with abcdef and abc", secretValues)).toBe("login failed with [secret] and [secret]");
  });
});
