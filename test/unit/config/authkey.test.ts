import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadAuthkey, writeAuthkey } from "../../../src/config/index";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), "edgeha-authkey-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function keyFile(name = "authkey"): string {
  return path.join(directory, name);
}

/** Writes `sizeBytes` bytes with `mode`, as a hand-made key would be. */
function handMadeKey(mode: number, sizeBytes = 64): string {
  const file = keyFile();
  writeFileSync(file, Buffer.alloc(sizeBytes, 7));
  chmodSync(file, mode);
  return file;
}

describe("writeAuthkey (edgeha keygen)", () => {
  it("writes 256 random bytes with mode 0600", () => {
    const written = writeAuthkey(keyFile());
    expect(written.sizeBytes).toBe(256);
    expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile())).toHaveLength(256);
  });

  it("writes a different key each time", () => {
    writeAuthkey(keyFile("one"));
    writeAuthkey(keyFile("two"));
    expect(readFileSync(keyFile("one")).equals(readFileSync(keyFile("two")))).toBe(false);
  });

  it("refuses to replace an existing key and leaves it unchanged", () => {
    writeFileSync(keyFile(), "the old key, kept as it was");
    expect(() => writeAuthkey(keyFile())).toThrowError(expect.objectContaining({ code: "E_AUTHKEY_EXISTS" }));
    expect(readFileSync(keyFile(), "utf8")).toBe("the old key, kept as it was");
  });

  it("replaces an existing key when told to overwrite", () => {
    writeFileSync(keyFile(), "the old key");
    writeAuthkey(keyFile(), { overwrite: true });
    expect(readFileSync(keyFile())).toHaveLength(256);
    expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
  });

  it("leaves no temporary file behind, also after a refusal", () => {
    writeAuthkey(keyFile());
    expect(() => writeAuthkey(keyFile())).toThrow();
    expect(readdirSync(directory)).toEqual(["authkey"]);
  });

  it("creates a missing parent directory", () => {
    const nested = path.join(directory, "etc", "edgeha", "authkey");
    writeAuthkey(nested);
    expect(readFileSync(nested)).toHaveLength(256);
  });

  it("reports a directory it cannot create as E_AUTHKEY_WRITE", () => {
    writeFileSync(path.join(directory, "plain-file"), "");
    expect(() => writeAuthkey(path.join(directory, "plain-file", "authkey"))).toThrowError(expect.objectContaining({ code: "E_AUTHKEY_WRITE" }));
  });
});

describe("loadAuthkey", () => {
  it("returns the bytes of a private key", () => {
    writeAuthkey(keyFile());
    expect(loadAuthkey(keyFile()).equals(readFileSync(keyFile()))).toBe(true);
  });

  it("refuses a missing key and says how to create one", () => {
    expect(() => loadAuthkey(keyFile())).toThrowError(
      expect.objectContaining({ code: "E_AUTHKEY_MISSING", message: expect.stringContaining(`edgeha keygen -o ${keyFile()}`) }),
    );
  });

  it("refuses a key readable by the group, naming the file, the mode and the chmod fix", () => {
    const file = handMadeKey(0o640);
    expect(() => loadAuthkey(file)).toThrowError(
      expect.objectContaining({
        code: "E_AUTHKEY_PERMISSIONS",
        message: expect.stringMatching(new RegExp(`authkey ${file} has mode 0640: .*chmod 600 ${file}`)),
      }),
    );
  });

  it("refuses a key readable by others", () => {
    expect(() => loadAuthkey(handMadeKey(0o604))).toThrowError(expect.objectContaining({ code: "E_AUTHKEY_PERMISSIONS" }));
  });

  it("refuses a key writable by the group", () => {
    expect(() => loadAuthkey(handMadeKey(0o620))).toThrowError(expect.objectContaining({ code: "E_AUTHKEY_PERMISSIONS" }));
  });

  it("accepts a read-only key (mode 0400)", () => {
    expect(loadAuthkey(handMadeKey(0o400))).toHaveLength(64);
  });

  it("refuses a key shorter than 32 bytes", () => {
    expect(() => loadAuthkey(handMadeKey(0o600, 31))).toThrowError(
      expect.objectContaining({ code: "E_AUTHKEY_SIZE", message: expect.stringContaining("has 31 bytes") }),
    );
  });

  it("accepts a key of exactly 32 bytes", () => {
    expect(loadAuthkey(handMadeKey(0o600, 32))).toHaveLength(32);
  });

  it("refuses a file larger than 4096 bytes", () => {
    expect(() => loadAuthkey(handMadeKey(0o600, 4097))).toThrowError(expect.objectContaining({ code: "E_AUTHKEY_SIZE" }));
  });

  it("refuses a symbolic link", () => {
    const target = handMadeKey(0o600);
    const link = keyFile("link");
    symlinkSync(target, link);
    expect(() => loadAuthkey(link)).toThrowError(expect.objectContaining({ code: "E_AUTHKEY_MISSING", message: expect.stringContaining("symbolic link") }));
  });

  it("refuses a directory", () => {
    const sub = keyFile("sub");
    mkdirSync(sub, { mode: 0o700 });
    expect(() => loadAuthkey(sub)).toThrowError(expect.objectContaining({ code: "E_AUTHKEY_MISSING", message: expect.stringContaining("not a regular file") }));
  });

  it("never puts the key's bytes in its messages", () => {
    const file = keyFile();
    writeFileSync(file, "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t");
    chmodSync(file, 0o644);
    try {
      loadAuthkey(file);
      expect.unreachable("a world-readable key must be refused");
    } catch (error) {
      expect(String((error as Error).message)).not.toContain("s3cr3t");
    }
  });
});
