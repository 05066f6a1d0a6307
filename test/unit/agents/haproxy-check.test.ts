import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haproxy } from "../../../agents/haproxy";

// A stand-in for the haproxy binary: records every call, accepts a file unless it says "broken",
// and as a daemon (-D) writes its pid file and exits at once, leaving a sleeper behind.
const directory = mkdtempSync(join(tmpdir(), "eh-haproxy-check-"));
const calls = join(directory, "calls");
const binary = join(directory, "haproxy");
writeFileSync(binary, `#!/bin/sh
echo "$*" >> ${calls}
case "$1" in
  -c) grep -q broken "$3" && { echo "[ALERT] broken" >&2; exit 1; }; exit 0 ;;
  -D) pid=$6; sleep 30 </dev/null >/dev/null 2>&1 & echo $! > "$pid"; exit 0 ;;
esac
exit 2
`);
chmodSync(binary, 0o755);
afterAll(() => {
  for (const file of ["a.pid", "b.pid"]) {
    try { process.kill(Number(readFileSync(join(directory, file), "utf8")), "SIGKILL"); } catch { /* not started */ }
  }
  rmSync(directory, { recursive: true, force: true });
});

const call = (instance: string, config: string, extra: Record<string, unknown> = {}) => ({
  params: { config, binary, pid_file: join(directory, `${instance}.pid`) }, instance, signal: AbortSignal.timeout(10_000), ...extra,
});
const checks = () => { try { return readFileSync(calls, "utf8").split("\n").filter((line) => line.startsWith("-c ")).length; } catch { return 0; } };
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe("the haproxy agent's configuration check", () => {
  it("a probe where haproxy does not run checks the file ahead, and the start then skips the check", async () => {
    const config = join(directory, "a.cfg");
    writeFileSync(config, "frontend web\n  bind :80\n");
    expect((await haproxy.monitor(call("a", config, { intervalMs: 0 }))).rc).toBe(7);
    await settle();
    expect(checks()).toBe(1);
    expect((await haproxy.start(call("a", config))).rc).toBe(0);
    expect(checks()).toBe(1);
    await haproxy.stop(call("a", config));
  });

  it("a changed file is checked again, and a broken one refused", async () => {
    const config = join(directory, "b.cfg");
    writeFileSync(config, "frontend web\n  bind :81\n");
    expect((await haproxy.monitor(call("b", config, { intervalMs: 0 }))).rc).toBe(7);
    await settle();
    const before = checks();
    writeFileSync(config, "frontend web\n  bind :81 broken\n");
    const refused = await haproxy.start(call("b", config));
    expect(refused).toMatchObject({ rc: 6 });
    expect(refused.reason).toMatch(/haproxy -c rejects .*broken/);
    expect(checks()).toBe(before + 1);
  });

  it("a recurring monitor does not check the file", async () => {
    const config = join(directory, "c.cfg");
    writeFileSync(config, "frontend web\n  bind :82\n");
    const before = checks();
    expect((await haproxy.monitor(call("c", config, { intervalMs: 1000 }))).rc).toBe(7);
    await settle();
    expect(checks()).toBe(before);
  });
});
