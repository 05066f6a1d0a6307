import { describe, expect, it } from "vitest";
import { decodeJoinToken, encodeJoinToken, newJoinToken, parseSetupWords, setupConfig } from "../../../src/config";
import { clusterHash } from "../../../src/transport";

describe("cluster setup words", () => {
  it("reads pcs's grammar and the short form alike, ids in order", () => {
    const short = setupConfig(parseSetupWords(["pair", "alpha=10.0.0.1,10.1.0.1", "beta=10.0.0.2,10.1.0.2"]), "now").config;
    const pcs = setupConfig(parseSetupWords(["pair", "alpha", "addr=10.0.0.1", "addr=10.1.0.1", "beta", "addr=10.0.0.2", "addr=10.1.0.2"]), "now").config;
    expect(pcs).toEqual(short);
    expect(short.nodes).toEqual([{ name: "alpha", id: 1, links: ["10.0.0.1", "10.1.0.1"] }, { name: "beta", id: 2, links: ["10.0.0.2", "10.1.0.2"] }]);
    expect(short.quorum.twoNode).toBe(true);
  });

  it("takes totem and quorum options under corosync's names", () => {
    const { config, text } = setupConfig(parseSetupWords(["shelf", "a=10.0.0.1", "b=10.0.0.2", "c=10.0.0.3", "totem", "token=900", "heartbeat=200", "quorum", "last_man_standing=1", "arbiter=10.0.0.9"]), "now");
    expect(config.timing.tokenMs).toBe(900);
    expect(config.timing.heartbeatMs).toBe(200);
    expect(config.quorum.lastManStanding).toBe(true);
    expect(config.quorum.arbiter).toEqual({ host: "10.0.0.9", port: 5406 });
    expect(text).toMatch(/^# edgeha bootstrap config, written by 'edgeha cluster setup'/);
  });

  it("names what is wrong", () => {
    expect(() => parseSetupWords([])).toThrow(/needs the cluster name first/);
    expect(() => parseSetupWords(["pair", "alpha", "beta=10.0.0.2"])).toThrow("node 'alpha' needs an address: write alpha=ADDR or alpha addr=ADDR (host names are not resolved)");
    expect(() => parseSetupWords(["pair", "a=10.0.0.1", "a=10.0.0.2"])).toThrow("node 'a' is listed twice");
    expect(() => parseSetupWords(["pair", "a=10.0.0.1", "totem", "window_size=5"])).toThrow(/unknown totem option 'window_size'/);
    expect(() => parseSetupWords(["pair", "a=10.0.0.1", "quorum", "two_node=yes"])).toThrow(/unknown quorum option 'two_node'/);
    expect(() => parseSetupWords(["pair", "a=10.0.0.1", "transport", "knet"])).toThrow(/one transport/);
    expect(() => setupConfig(parseSetupWords(["pair", "a=10.0.0.1", "b=10.0.0.1"]), "now")).toThrow(/address 10.0.0.1 is used twice/);
    expect(() => setupConfig(parseSetupWords(["pair", "a=10.0.0.1", "b=alpha.example"]), "now")).toThrow(/E|not an IP|address/);
  });
});

describe("join tokens", () => {
  const token = newJoinToken({ clusterHash: clusterHash("pair"), nodeId: 2, addresses: ["10.0.0.1", "fe80::1%eth1"], port: 5405, nowSeconds: 1_000_000 });

  it("round-trip through their text form", () => {
    const text = encodeJoinToken(token);
    expect(text).toMatch(/^EH1\.[A-Za-z0-9_-]+$/);
    expect(decodeJoinToken(`  ${text}\n`)).toEqual(token);
    expect(token.expiresAtSeconds).toBe(1_000_000 + 3600);
  });

  it("catch every single mistyped character before anything is sent", () => {
    const text = encodeJoinToken(token);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let index = 4; index < text.length; index++) {
      const replacement = alphabet[(alphabet.indexOf(text[index]!) + 7) % alphabet.length]!;
      const typo = text.slice(0, index) + replacement + text.slice(index + 1);
      expect(() => decodeJoinToken(typo), `position ${index}`).toThrow(expect.objectContaining({ code: "E_JOIN_TOKEN_INVALID" }));
    }
    expect(() => decodeJoinToken(text.slice(0, -3))).toThrow(expect.objectContaining({ code: "E_JOIN_TOKEN_INVALID" }));
    expect(() => decodeJoinToken("hello")).toThrow(/does not start with 'EH1.'/);
  });
});
