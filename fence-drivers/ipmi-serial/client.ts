// An IPMI requester on a serial line: one request at a time, a fresh sequence
// number per try, a per-try timeout and a bounded number of tries. A garbled
// reply (bad checksum, bad escape, not hex) is reported and the request is sent
// again at once; a silent line costs the whole per-try timeout.
//
// Terminal Mode BMCs that require a login get `[SYS PWD -U name password]` first
// (`-N password` without a user name) and `[SYS PWD -X]` (log out) at the end. The
// password goes only to the line, never to a debug line or an error.
import { randomInt } from "node:crypto";
import { EdgehaError } from "../../src/common/errors";
import { createDecoder, encodeMessage, BASIC, type DecodedEvent, type Decoder, type IpmiMessage, type SerialMode } from "./framing";
import { openSerialLine, type SerialLine } from "./line";

export interface TerminalLogin {
  /** Empty for the null user name (`SYS PWD -N`). */
  username: string;
  password: string;
}

export interface SerialTarget {
  device: string;
  baudRate: number;
  mode: SerialMode;
  /** Wait for each answer, per try. */
  timeoutMs: number;
  /** Tries after the first one. */
  retries: number;
  /** Terminal Mode only: log in with SYS PWD before any request. */
  login?: TerminalLogin;
}

/** Names of the commands the driver sends, for messages a person reads. */
const COMMAND_NAMES: Record<string, string> = { "0:1": "Get Chassis Status", "0:2": "Chassis Control", "6:1": "Get Device ID" };

export function commandName(netFn: number, cmd: number): string {
  return COMMAND_NAMES[`${netFn}:${cmd}`] ?? `netFn 0x${netFn.toString(16)} cmd 0x${cmd.toString(16)}`;
}

/** What one try ends with: the accepted answer, a garbled reply, or nothing in time. */
type Outcome<T> = { kind: "answer"; value: T } | { kind: "garbled"; reason: string } | { kind: "silent" };

export class SerialIpmiClient {
  // A random first sequence number: a late answer to another process's request with
  // the same command is then unlikely to carry a number this client is waiting for.
  private sequence = randomInt(0, 63);
  private waiter: ((event: DecodedEvent) => void) | undefined;
  private line: SerialLine | undefined;
  private loggedIn = false;

  private constructor(private readonly target: SerialTarget, private readonly debug: (line: string) => void, private readonly decoder: Decoder) {}

  static async open(target: SerialTarget, signal: AbortSignal, debug: (line: string) => void = () => {}): Promise<SerialIpmiClient> {
    const client = new SerialIpmiClient(target, debug, createDecoder(target.mode, true));
    // Waiting for a port another edgeha process holds costs at most what one request may take.
    client.line = await openSerialLine(target.device, target.baudRate, (chunk) => client.onData(chunk), target.timeoutMs * (target.retries + 1));
    debug(`opened ${target.device} at ${target.baudRate} baud, ${target.mode} mode`);
    if (target.login) {
      try {
        await client.logIn(target.login, signal);
      } catch (error) {
        await client.close();
        throw error;
      }
    }
    return client;
  }

  private onData(chunk: Buffer): void {
    for (const event of this.decoder.feed(chunk)) {
      if (this.waiter) this.waiter(event);
      else if (event.kind !== "handshake" && event.kind !== "echo") this.debug(`ignored ${event.kind} with no request waiting`);
    }
  }

  /**
   * Text answers carry no sequence number, so a stale [OK] (a logout another
   * process did not wait for) could pass for ours. SYS TMODE follows the login:
   * the BMC answers in order, so the verdict just before [OK TMODE] is ours.
   */
  private async logIn(login: TerminalLogin, signal: AbortSignal): Promise<void> {
    const who = login.username ? `-U ${login.username}` : "-N";
    let verdict: string | undefined;
    const encode = (): Buffer => {
      verdict = undefined;
      return Buffer.from(`[SYS PWD ${who} ${login.password}]\r\n[SYS TMODE]\r\n`, "latin1");
    };
    const accept = (event: DecodedEvent): string | undefined => {
      if (event.kind !== "text") return undefined;
      if (event.text === "OK TMODE") return verdict ?? "ERR (no answer to SYS PWD)";
      if (/^(OK|ERR)/.test(event.text)) verdict = event.text;
      return undefined;
    };
    const answer = await this.retrying("the SYS PWD login", encode, accept, signal);
    if (!answer.startsWith("OK")) {
      const user = login.username ? `user "${login.username}"` : "the null user";
      throw new EdgehaError("E_FENCE_AUTH", `BMC on ${this.target.device} refused the terminal-mode login of ${user} (${answer.split(" ")[0]}): the password is most likely wrong`);
    }
    this.loggedIn = true;
    this.debug(`logged in on ${this.target.device}`);
  }

  /** Sends one request; returns the response data after a completion code of 0. */
  async request(netFn: number, cmd: number, data: Buffer, signal: AbortSignal): Promise<Buffer> {
    const name = commandName(netFn, cmd);
    const sent = new Set<number>();
    const encode = (): Buffer => {
      this.sequence = (this.sequence % 63) + 1;
      sent.add(this.sequence);
      const message: IpmiMessage = { netFn, lun: 0, seq: this.sequence, cmd, data };
      return encodeMessage(this.target.mode, message);
    };
    const accept = (event: DecodedEvent): IpmiMessage | undefined => {
      if (event.kind !== "message") return undefined;
      const answer = event.message;
      if (answer.netFn === netFn + 1 && answer.cmd === cmd && sent.has(answer.seq)) return answer;
      this.debug(`ignored a reply that does not match (netFn 0x${answer.netFn.toString(16)} seq ${answer.seq} cmd 0x${answer.cmd.toString(16)})`);
      return undefined;
    };
    const response = await this.retrying(name, encode, accept, signal);
    if (this.target.mode === "basic") await this.line!.write(Buffer.from([BASIC.handshake]));
    if (response.completionCode !== 0) {
      const code = response.completionCode!.toString(16).padStart(2, "0");
      const hint = response.completionCode === 0xd4 ? " (insufficient privilege: the port may need a login, see username/password)" : "";
      throw new EdgehaError("E_FENCE_IPMI", `BMC on ${this.target.device} answered ${name} with completion code 0x${code}${hint}`);
    }
    return response.data;
  }

  /** Sends `encode()` up to retries + 1 times until `accept` takes an event. */
  private async retrying<T>(name: string, encode: () => Buffer, accept: (event: DecodedEvent) => T | undefined, signal: AbortSignal): Promise<T> {
    let garbled: string | undefined;
    const tries = this.target.retries + 1;
    for (let attempt = 1; attempt <= tries && !signal.aborted; attempt++) {
      const outcome = await this.exchange(encode(), accept, signal);
      if (outcome.kind === "answer") return outcome.value;
      if (outcome.kind === "garbled") {
        garbled = outcome.reason;
        this.debug(`${name}: garbled reply on ${this.target.device} (try ${attempt} of ${tries}): ${outcome.reason}`);
      } else this.debug(`${name}: no answer on ${this.target.device} (try ${attempt} of ${tries})`);
    }
    const how = `${this.target.mode} mode, ${this.target.baudRate} baud, ${tries} tries of ${this.target.timeoutMs} ms`;
    if (garbled) {
      throw new EdgehaError("E_FENCE_SERIAL_FRAMING", `BMC on ${this.target.device} sent garbled replies to ${name} (${how}); last: ${garbled}; check the baud rate, the mode and the cable`);
    }
    throw new EdgehaError("E_FENCE_SERIAL_TIMEOUT", `BMC on ${this.target.device} did not answer ${name} (${how}); check the device, the baud rate and that the BMC's serial port is in IPMI ${this.target.mode} mode`);
  }

  private async exchange<T>(bytes: Buffer, accept: (event: DecodedEvent) => T | undefined, signal: AbortSignal): Promise<Outcome<T>> {
    let finish: (outcome: Outcome<T>) => void = () => {};
    const result = new Promise<Outcome<T>>((resolve) => (finish = resolve));
    const timer = setTimeout(() => finish({ kind: "silent" }), this.target.timeoutMs);
    const onAbort = (): void => finish({ kind: "silent" });
    signal.addEventListener("abort", onAbort, { once: true });
    this.waiter = (event) => {
      if (event.kind === "garbled") return finish({ kind: "garbled", reason: event.reason });
      const value = accept(event);
      if (value !== undefined) finish({ kind: "answer", value });
      // An echoed login line holds the password: name the command only.
      else if (event.kind === "text") this.debug(`ignored text "${/^SYS PWD/i.test(event.text) ? "SYS PWD ..." : event.text.slice(0, 60)}"`);
    };
    try {
      await this.line!.write(bytes);
      return await result;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      this.waiter = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.loggedIn) {
      // Wait (one try) for the logout's [OK], so no answer of ours is left on the line
      // for the next process; a BMC that never answers costs one timeout, no error.
      this.loggedIn = false;
      const logout = Buffer.from("[SYS PWD -X]\r\n", "latin1");
      await this.exchange(logout, (event) => (event.kind === "text" && /^(OK|ERR)/.test(event.text) ? true : undefined), AbortSignal.timeout(this.target.timeoutMs)).catch(() => {});
    }
    await this.line?.close();
  }
}
