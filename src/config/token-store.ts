// The tokens a node has issued and not yet seen used: STATE_DIR/join-tokens.json, mode
// 0600 (it holds the secrets, as the authkey beside it holds the key). `cluster setup`
// and `cluster token` add to it; the agent's join server reads it for every request and
// marks a token used, durably, before it sends anything. Bounded: used and expired tokens
// are dropped after a day, and at most TOKENS_MAX are kept.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EdgehaError } from "../common/errors";
import { writeFileDurably } from "../common/durable";
import type { JoinToken } from "./token";

export const TOKEN_FILE = "join-tokens.json";
const TOKENS_MAX = 64;
const FORGET_AFTER_SECONDS = 24 * 3600;
const FILE_BYTES_MAX = 256 * 1024;

export interface TokenRecord {
  id: string;
  secret: string;
  nodeId: number;
  expiresAtSeconds: number;
  issuedAtSeconds: number;
  usedAtSeconds?: number;
}

export function tokenFile(stateDir: string): string {
  return join(stateDir, TOKEN_FILE);
}

export function readTokens(file: string): TokenRecord[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new EdgehaError("E_JOIN_TOKEN_STORE", `cannot read the join tokens in ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file });
  }
  if (text.length > FILE_BYTES_MAX) throw new EdgehaError("E_JOIN_TOKEN_STORE", `${file} is larger than ${FILE_BYTES_MAX} bytes: not a token file`, { file });
  try {
    const parsed = JSON.parse(text) as { tokens?: unknown };
    if (!Array.isArray(parsed.tokens)) throw new Error("no token list");
    return parsed.tokens.filter(isRecord);
  } catch (error) {
    throw new EdgehaError("E_JOIN_TOKEN_STORE", `${file} is damaged (${error instanceof Error ? error.message : String(error)}); remove it and issue a new token with 'edgeha cluster token'`, { file });
  }
}

function isRecord(value: unknown): value is TokenRecord {
  const record = value as Partial<TokenRecord> | null;
  return typeof record === "object" && record !== null && typeof record.id === "string" && typeof record.secret === "string" &&
    Number.isInteger(record.nodeId) && Number.isInteger(record.expiresAtSeconds) && Number.isInteger(record.issuedAtSeconds);
}

function writeTokens(file: string, tokens: TokenRecord[], nowSeconds: number): void {
  const kept = tokens
    .filter((token) => (token.usedAtSeconds ?? token.expiresAtSeconds) > nowSeconds - FORGET_AFTER_SECONDS)
    .slice(-TOKENS_MAX);
  writeFileDurably(file, `${JSON.stringify({ tokens: kept }, null, 1)}\n`, { mode: 0o600, makeDirectory: true });
}

/** Adds a token to the store (durably, before anyone is told the token). */
export function storeToken(file: string, token: JoinToken, nowSeconds: number): void {
  const tokens = readTokens(file);
  tokens.push({ id: token.id.toString("hex"), secret: token.secret.toString("hex"), nodeId: token.nodeId, expiresAtSeconds: token.expiresAtSeconds, issuedAtSeconds: nowSeconds });
  writeTokens(file, tokens, nowSeconds);
}

export type TokenLookup =
  | { ok: true; record: TokenRecord }
  | { ok: false; code: "E_JOIN_TOKEN_UNKNOWN" | "E_JOIN_TOKEN_EXPIRED" | "E_JOIN_TOKEN_USED"; error: string };

/** The token with this id, if it may still be used now. */
export function findUsableToken(tokens: readonly TokenRecord[], id: string, nowSeconds: number): TokenLookup {
  const record = tokens.find((token) => token.id === id);
  if (record === undefined) return { ok: false, code: "E_JOIN_TOKEN_UNKNOWN", error: "this member never issued that token (or forgot it a day after it expired); issue a new one with 'edgeha cluster token' on a member" };
  if (record.usedAtSeconds !== undefined) return { ok: false, code: "E_JOIN_TOKEN_USED", error: `that token was used at ${iso(record.usedAtSeconds)}; a token works once: issue a new one with 'edgeha cluster token' on a member` };
  if (record.expiresAtSeconds <= nowSeconds) return { ok: false, code: "E_JOIN_TOKEN_EXPIRED", error: `that token expired at ${iso(record.expiresAtSeconds)}; issue a new one with 'edgeha cluster token' on a member` };
  return { ok: true, record };
}

/** Marks a token used, durably; false when it was used meanwhile. */
export function consumeToken(file: string, id: string, nowSeconds: number): boolean {
  const tokens = readTokens(file);
  const record = tokens.find((token) => token.id === id);
  if (record === undefined || record.usedAtSeconds !== undefined) return false;
  record.usedAtSeconds = nowSeconds;
  writeTokens(file, tokens, nowSeconds);
  return true;
}

/** The earliest expiry of a token still usable, or undefined when none is. */
export function nextExpirySeconds(tokens: readonly TokenRecord[], nowSeconds: number): number | undefined {
  const live = tokens.filter((token) => token.usedAtSeconds === undefined && token.expiresAtSeconds > nowSeconds).map((token) => token.expiresAtSeconds);
  return live.length === 0 ? undefined : Math.min(...live);
}

export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}
