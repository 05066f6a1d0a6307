// The join exchange between a member's JoinServer and `fetchJoinBundle`, on 127.0.0.1 with a
// port the kernel picks (unit tests run beside other engineers' tests: no fixed port).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection, createServer } from "node:net";
import { installJoin, newJoinToken, parseSetupWords, readTokens, setupConfig, storeToken, tokenFile, writeAuthkey, type JoinToken } from "../../../src/config";
import { clusterHash } from "../../../src/transport";
import { fetchJoinBundle, JoinServer } from "../../../src/node/join";
import { silentLogger } from "../../../src/common/log";

let directory: string;
let server: JoinServer;
let clock = 1_000_000;

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), "edgeha-join-"));
  const { text } = setupConfig({ ...parseSetupWords(["pair", "alpha=127.0.0.1", "beta=127.0.0.2"]), paths: { authkey: join(directory, "authkey"), state_dir: join(directory, "state") } }, "now");
  writeFileSync(join(directory, "edgeha.yaml"), text);
  writeAuthkey(join(directory, "authkey"));
  server = new JoinServer({ configFile: join(directory, "edgeha.yaml"), stateDir: join(directory, "state"), addresses: ["127.0.0.1"], port: 0, clusterName: "pair", nodeName: "alpha", authkey: readFileSync(join(directory, "authkey")), logger: silentLogger(), nowSeconds: () => clock });
});

afterEach(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

async function issue(options: { cluster?: string; ttlSeconds?: number } = {}): Promise<JoinToken> {
  const token = newJoinToken({ clusterHash: clusterHash(options.cluster ?? "pair"), nodeId: 2, addresses: ["127.0.0.1"], port: 1, nowSeconds: clock, ttlSeconds: options.ttlSeconds });
  storeToken(tokenFile(join(directory, "state")), token, clock);
  await server.refresh();
  return { ...token, port: server.boundPort! };
}

describe("join exchange", () => {
  it("hands the config and the key to the holder of the token, once, and the key never crosses in clear", async () => {
    const token = await issue();
    const bundle = await fetchJoinBundle(token);
    expect(bundle.config).toBe(readFileSync(join(directory, "edgeha.yaml"), "utf8"));
    expect(Buffer.from(bundle.authkey, "base64").equals(readFileSync(join(directory, "authkey")))).toBe(true);
    expect([bundle.member, bundle.nodeId, bundle.cluster]).toEqual(["alpha", 2, "pair"]);
    expect(readTokens(tokenFile(join(directory, "state")))[0]?.usedAtSeconds).toBe(clock);
    // The one token was used, so the listener closed; a second use finds nobody listening.
    expect(server.listening).toBe(false);
    await expect(fetchJoinBundle(token, { connectTimeoutMs: 500 })).rejects.toMatchObject({ code: "E_JOIN_UNREACHABLE" });
  });

  it("refuses a used token while another keeps the listener open", async () => {
    const first = await issue();
    await issue();
    await fetchJoinBundle(first);
    await expect(fetchJoinBundle(first)).rejects.toMatchObject({ code: "E_JOIN_TOKEN_USED", message: expect.stringMatching(/works once/) });
  });

  it("refuses an expired token, a foreign one, and one with a wrong secret, each with its own code", async () => {
    const expired = await issue({ ttlSeconds: 60 });
    await issue({ ttlSeconds: 3600 });
    clock += 120;
    await expect(fetchJoinBundle(expired)).rejects.toMatchObject({ code: "E_JOIN_TOKEN_EXPIRED" });
    const foreign = await issue({ cluster: "other" });
    await expect(fetchJoinBundle(foreign)).rejects.toMatchObject({ code: "E_JOIN_TOKEN_FOREIGN", message: expect.stringMatching(/cluster 'pair'/) });
    const good = await issue();
    const forged = { ...good, secret: Buffer.alloc(32, 7) };
    await expect(fetchJoinBundle(forged)).rejects.toMatchObject({ code: "E_JOIN_TOKEN_WRONG" });
    // The forged attempt did not use up the real token.
    await expect(fetchJoinBundle(good)).resolves.toMatchObject({ member: "alpha" });
  });

  it("does not trust a member that cannot prove it issued the token", async () => {
    const impostor = createServer((socket) => {
      socket.write(`${JSON.stringify({ edgeha: "join", v: 1, nonce: "ab".repeat(32) })}\n`);
      socket.once("data", () => socket.end(`${JSON.stringify({ ok: true, sealed: Buffer.alloc(64, 1).toString("base64") })}\n`));
    });
    await new Promise<void>((resolve) => impostor.listen(0, "127.0.0.1", resolve));
    const port = (impostor.address() as { port: number }).port;
    const token = newJoinToken({ clusterHash: clusterHash("pair"), nodeId: 2, addresses: ["127.0.0.1"], port, nowSeconds: clock });
    await expect(fetchJoinBundle(token)).rejects.toMatchObject({ code: "E_JOIN_REFUSED", message: expect.stringMatching(/could not prove it issued the token/) });
    await new Promise((resolve) => impostor.close(resolve));
  });

  it("says which addresses it tried when the member is unreachable", async () => {
    const token = newJoinToken({ clusterHash: clusterHash("pair"), nodeId: 2, addresses: ["127.0.0.1"], port: 9, nowSeconds: clock });
    await expect(fetchJoinBundle(token, { connectTimeoutMs: 500 })).rejects.toMatchObject({ code: "E_JOIN_UNREACHABLE", message: expect.stringMatching(/127.0.0.1:9: ECONNREFUSED.*is its agent running/) });
  });
});

describe("installing what a join fetched", () => {
  const bundle = () => ({ text: readFileSync(join(directory, "edgeha.yaml"), "utf8"), key: readFileSync(join(directory, "authkey")) });

  it("writes the config 0644 and the key 0600 where the config says, only on the node the token is for", () => {
    const { text, key } = bundle();
    rmSync(join(directory, "authkey"));
    const target = join(directory, "beta", "edgeha.yaml");
    const identity = { hostname: "somewhere", localAddresses: ["127.0.0.2"] };
    expect(() => installJoin({ cluster: "pair", nodeId: 2, configText: text, authkey: key, configFile: target, identity: { hostname: "x", localAddresses: ["127.0.0.1"] }, force: false }))
      .toThrow(expect.objectContaining({ code: "E_JOIN_WRONG_NODE", message: expect.stringMatching(/the token is for node 'beta' \(127.0.0.2\), but this machine is node 'alpha'.*Nothing was written/) }));
    expect(() => statSync(target)).toThrow();
    const result = installJoin({ cluster: "pair", nodeId: 2, configText: text, authkey: key, configFile: target, identity, force: false });
    expect(result.node.name).toBe("beta");
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(statSync(join(directory, "authkey")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(directory, "authkey")).equals(key)).toBe(true);
    // Running it again changes nothing and succeeds.
    expect(installJoin({ cluster: "pair", nodeId: 2, configText: text, authkey: key, configFile: target, identity, force: false }).written).toEqual([]);
  });

  it("keeps a different config that is there already unless forced, and writes nothing then", () => {
    const { text, key } = bundle();
    const target = join(directory, "edgeha.other.yaml");
    writeFileSync(target, "cluster_name: mine\n");
    const newKey = Buffer.alloc(64, 9);
    expect(() => installJoin({ cluster: "pair", nodeId: 2, configText: text, authkey: newKey, configFile: target, identity: { name: "beta", hostname: "x", localAddresses: [] }, force: false }))
      .toThrow(expect.objectContaining({ code: "E_JOIN_EXISTS" }));
    expect(readFileSync(target, "utf8")).toBe("cluster_name: mine\n");
    expect(readFileSync(join(directory, "authkey")).equals(key)).toBe(true);
  });
});

it("neither the token's secret nor the authkey crosses the wire in clear", async () => {
  const token = await issue();
  // A relay between the joiner and the member records every byte both ways.
  const seen: Buffer[] = [];
  const relay = createServer((inbound) => {
    const outbound = createConnection({ host: "127.0.0.1", port: token.port });
    inbound.on("data", (chunk) => { seen.push(chunk); outbound.write(chunk); });
    outbound.on("data", (chunk) => { seen.push(chunk); inbound.write(chunk); });
    outbound.on("end", () => inbound.end());
    inbound.on("error", () => {});
    outbound.on("error", () => {});
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const bundle = await fetchJoinBundle({ ...token, port: (relay.address() as { port: number }).port });
  await new Promise((resolve) => relay.close(resolve));
  const wire = Buffer.concat(seen);
  const key = Buffer.from(bundle.authkey, "base64");
  expect(wire.length).toBeGreaterThan(key.length);
  for (const secret of [key, token.secret]) {
    for (const form of [secret, Buffer.from(secret.toString("hex")), Buffer.from(secret.toString("base64"))]) expect(wire.includes(form.subarray(0, 16))).toBe(false);
  }
  expect(wire.includes(Buffer.from("cluster_name"))).toBe(false);
});
