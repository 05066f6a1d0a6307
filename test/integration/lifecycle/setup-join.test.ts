// `cluster setup` on one node, `cluster join TOKEN` on the other, with real agents on loopback:
// the joined node gets the running member's config and key (right modes), the two form one
// cluster, and every wrong token, an expired one and an unreachable member fail clearly with
// nothing written. Takes about 20 s.
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { Loopback, address } from "./loopback";

const port = 34200 + (process.pid % 20);
const cluster = new Loopback();
const dir = cluster.directory;
afterAll(() => cluster.close());

describe("cluster setup and join between two real agents", () => {
  it("sets up alpha, joins beta with the token, and refuses what it must", async () => {
    const setup = cluster.cli(["cluster", "setup", "ehjoin", `alpha=${address(1)}`, `beta=${address(2)}`, "--port", String(port), "--config", join(dir, "alpha.yaml"), "--authkey", join(dir, "authkey"), "--state-dir", cluster.stateDir("alpha"), "--node", "alpha", "--json"]);
    expect(setup.stderr).toBe("");
    expect(setup.status).toBe(0);
    const issued = JSON.parse(setup.stdout) as { tokens: Array<{ node: string; token: string }> };
    expect(issued.tokens.map((token) => token.node)).toEqual(["beta"]);
    const token = issued.tokens[0]!.token;
    expect(statSync(join(dir, "authkey")).mode & 0o777).toBe(0o600);
    // Setting up twice is refused.
    expect(cluster.cli(["cluster", "setup", "ehjoin", `alpha=${address(1)}`, "--config", join(dir, "alpha.yaml"), "--authkey", join(dir, "authkey"), "--node", "alpha"]).stderr).toMatch(/exists already/);

    // Before alpha runs, the member is unreachable: nothing is written.
    const early = cluster.cli(["cluster", "join", token, "--config", join(dir, "beta.yaml"), "--node", "beta"]);
    expect([early.status, early.stderr]).toEqual([1, expect.stringMatching(/E_JOIN_UNREACHABLE|cannot reach the member.*is its agent running/)]);
    expect(existsSync(join(dir, "beta.yaml"))).toBe(false);

    cluster.start("alpha", { config: join(dir, "alpha.yaml") });
    await cluster.waitFor("alpha's agent", () => cluster.status("alpha"));
    // The key alpha runs with is what beta must get: move it away to see it arrive.
    renameSync(join(dir, "authkey"), join(dir, "authkey.alpha"));
    const typo = `${token.slice(0, 20)}${token[20] === "A" ? "B" : "A"}${token.slice(21)}`;
    expect(cluster.cli(["cluster", "join", typo, "--config", join(dir, "beta.yaml"), "--node", "beta"]).stderr).toMatch(/not a join token: .*checksum/);
    const joined = cluster.cli(["cluster", "join", token, "--config", join(dir, "beta.yaml"), "--node", "beta"]);
    expect(joined.stderr).toBe("");
    expect(joined.stdout).toMatch(/^Joined cluster 'ehjoin' as beta \(config and authkey from alpha\)/);
    expect(readFileSync(join(dir, "beta.yaml"), "utf8")).toBe(readFileSync(join(dir, "alpha.yaml"), "utf8"));
    expect(readFileSync(join(dir, "authkey")).equals(readFileSync(join(dir, "authkey.alpha")))).toBe(true);
    expect(statSync(join(dir, "authkey")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "beta.yaml")).mode & 0o777).toBe(0o644);

    // The token worked once.
    const again = cluster.cli(["cluster", "join", token, "--config", join(dir, "beta2.yaml"), "--node", "beta"], { timeoutMs: 15_000 });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/E_JOIN_UNREACHABLE|E_JOIN_TOKEN_USED|works once|cannot reach/);
    expect(existsSync(join(dir, "beta2.yaml"))).toBe(false);

    cluster.start("beta", { config: join(dir, "beta.yaml") });
    await cluster.waitFor("one cluster of two", () => {
      const views = ["alpha", "beta"].map((name) => cluster.status(name));
      return views.every((view) => view?.members.length === 2 && view.dc === "alpha") ? views : undefined;
    });

    // A token that expires in a second, used after it expired: refused by the joiner's own clock.
    const short = cluster.cli(["cluster", "token", "beta", "--ttl", "1", "--config", join(dir, "alpha.yaml"), "--state-dir", cluster.stateDir("alpha"), "--node", "alpha", "--json"]);
    expect(short.status).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = cluster.cli(["cluster", "join", (JSON.parse(short.stdout) as { token: string }).token, "--config", join(dir, "beta3.yaml"), "--node", "beta"]);
    expect(expired.stderr).toMatch(/the token expired at/);
    expect(existsSync(join(dir, "beta3.yaml"))).toBe(false);

    // A token for the wrong machine: written for beta, used as alpha.
    const fresh = JSON.parse(cluster.cli(["cluster", "token", "beta", "--config", join(dir, "alpha.yaml"), "--state-dir", cluster.stateDir("alpha"), "--node", "alpha", "--json"]).stdout) as { token: string };
    const wrongNode = cluster.cli(["cluster", "join", fresh.token, "--config", join(dir, "alpha2.yaml"), "--node", "alpha"]);
    expect(wrongNode.stderr).toMatch(/the token is for node 'beta'.*Nothing was written/);
    expect(existsSync(join(dir, "alpha2.yaml"))).toBe(false);
  }, 120_000);
});
