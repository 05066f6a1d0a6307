// A small BMC on a serial line, for the ipmi-serial tests: it answers Get Device
// ID, Get Chassis Status and Chassis Control (keeping a power state) in IPMI
// Terminal Mode or Basic Mode, and C1 (invalid command) to everything else, which
// is what ipmitool's PICMG and VITA probes need. It is proven against ipmitool's
// serial-terminal and serial-basic interfaces (test/integration/fencing/ipmi-serial-ipmitool.test.ts).
//
// It listens on one end of a socat pseudo-terminal pair; the client opens the other.
// Faults for the driver's tests: a corrupted Get Chassis Status reply (once or
// always) and a silent line.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, writeSync, unlinkSync } from "node:fs";
import { ReadStream } from "node:tty";
import {
  BASIC, createDecoder, encodeBasic, encodeTerminal, escapeBasic, unescapeBasic, type IpmiMessage, type SerialMode,
} from "../../fence-drivers/ipmi-serial/framing";

export interface PtyPair {
  /** The end a client (ipmitool, our driver) opens. */
  client: string;
  /** The end the BMC listens on. */
  bmc: string;
  stop(): Promise<void>;
}

let pairs = 0;

/** `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`; resolves once both links exist. */
export async function startPtyPair(): Promise<PtyPair> {
  const base = `/tmp/eh${process.pid}-${++pairs}`;
  const client = `${base}-a`;
  const bmc = `${base}-b`;
  const socat: ChildProcess = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${client}`, `pty,raw,echo=0,link=${bmc}`], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  socat.stderr!.on("data", (chunk) => (log += chunk));
  const deadline = Date.now() + 5000;
  while (!(existsSync(client) && existsSync(bmc) && /starting data transfer loop/.test(log))) {
    if (Date.now() > deadline || socat.exitCode !== null) {
      socat.kill("SIGKILL");
      throw new Error(`socat did not make the pty pair ${client} / ${bmc}: ${log.slice(-400)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    client, bmc,
    async stop() {
      if (socat.exitCode === null) {
        const exited = new Promise((resolve) => socat.once("exit", resolve));
        socat.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
        if (socat.exitCode === null) socat.kill("SIGKILL");
      }
      for (const link of [client, bmc]) if (existsSync(link)) try { unlinkSync(link); } catch { /* socat removed it */ }
    },
  };
}

export type Corruption = "none" | "once" | "always";

export interface SerialBmc {
  power: "on" | "off";
  /** Corrupt Get Chassis Status replies: not at all, the next one, or every one. */
  corrupt: Corruption;
  /** Accept Chassis Control but leave the power as it is (a stuck relay). */
  ignoreControl: boolean;
  /** Read requests but never answer. */
  silent: boolean;
  /** Terminal Mode: a login (SYS PWD) is required before IPMI requests, which get 0xD4 until then. */
  login: { username: string; password: string } | undefined;
  /** Terminal Mode: a text answer sent once, before the answer to the next text command (a late answer meant for someone else). */
  staleText: string | undefined;
  /** Terminal Mode: echo every byte received and send the [SYS] handshake after each message (factory defaults of many BMCs). */
  echo: boolean;
  /** Every request taken in, as "netFn/cmd data" in hex ("00/02 00"). */
  readonly requests: string[];
  /** Power changes in order ("power off", "power on", "power cycle"). */
  readonly events: string[];
  close(): void;
}

const DEVICE_ID = Buffer.from([0x20, 0x81, 0x01, 0x00, 0x02, 0xbf, 0x00, 0x00, 0x00, 0x00, 0x00]);

function hex(bytes: Uint8Array | number[]): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

/** Answers requests arriving on `device` (the BMC end of a pty pair). */
export function startSerialBmc(device: string, mode: SerialMode, initialPower: "on" | "off" = "on"): SerialBmc {
  const fd = openSync(device, "r+");
  const input = new ReadStream(fd);
  const decoder = createDecoder(mode, false);
  const bmc: SerialBmc = {
    power: initialPower, corrupt: "none", ignoreControl: false, silent: false, login: undefined, staleText: undefined, echo: false, requests: [], events: [],
    close() {
      // The stream owns the descriptor and closes it.
      input.destroy();
    },
  };
  const answer = (request: IpmiMessage): { completionCode: number; data: Buffer } => {
    if (request.netFn === 0x06 && request.cmd === 0x01) return { completionCode: 0, data: DEVICE_ID };
    if (request.netFn === 0x00 && request.cmd === 0x01) return { completionCode: 0, data: Buffer.from([bmc.power === "on" ? 0x01 : 0x00, 0x00, 0x00]) };
    if (request.netFn === 0x00 && request.cmd === 0x02 && request.data.length >= 1) {
      const control = request.data[0]! & 0x0f;
      if (bmc.ignoreControl) return { completionCode: 0, data: Buffer.alloc(0) };
      if (control === 0x00 || control === 0x05) bmc.power = "off";
      else if (control === 0x01) bmc.power = "on";
      else if (control === 0x02 || control === 0x03) { if (bmc.power === "off") return { completionCode: 0xd5, data: Buffer.alloc(0) }; }
      else return { completionCode: 0xcc, data: Buffer.alloc(0) };
      bmc.events.push(`power ${["off", "on", "cycle", "reset", "", "soft"][control]}`);
      return { completionCode: 0, data: Buffer.alloc(0) };
    }
    return { completionCode: 0xc1, data: Buffer.alloc(0) };
  };
  const encode = (response: IpmiMessage, corrupt: boolean): Buffer => {
    if (mode === "terminal") {
      const line = encodeTerminal(response);
      // A hex digit replaced by a letter that is not hex: the line no longer parses.
      if (corrupt) line[line.length - 4] = "G".charCodeAt(0);
      return line;
    }
    const packet = encodeBasic(response);
    if (!corrupt) return packet;
    const inner = unescapeBasic(packet.subarray(1, packet.length - 1));
    if (!inner.ok) throw new Error(inner.reason);
    inner.bytes[inner.bytes.length - 1] = (inner.bytes[inner.bytes.length - 1]! + 1) & 0xff;
    return Buffer.concat([Buffer.from([BASIC.start]), escapeBasic(inner.bytes), Buffer.from([BASIC.stop])]);
  };
  let loggedIn = false;
  /** Terminal Mode text commands: SYS PWD (-U name password, -N password, -X) and SYS TMODE. */
  const text = (command: string): string => {
    const words = command.trim().split(/\s+/);
    if (words[0] !== "SYS") return "ERR";
    if (words[1] === "TMODE") return "OK TMODE";
    if (words[1] !== "PWD") return "ERR";
    if (words[2] === "-X") {
      loggedIn = false;
      return "OK";
    }
    const [username, password] = words[2] === "-U" ? [words[3] ?? "", words[4] ?? ""] : words[2] === "-N" ? ["", words[3] ?? ""] : [undefined, undefined];
    loggedIn = bmc.login !== undefined && username === bmc.login.username && password === bmc.login.password;
    return loggedIn ? "OK" : "ERR";
  };
  input.on("data", (chunk: Buffer) => {
    if (mode === "terminal" && bmc.echo && !bmc.silent) writeSync(fd, chunk);
    for (const event of decoder.feed(chunk)) {
      if (event.kind === "text" && !bmc.silent) {
        bmc.requests.push(event.text.replace(/^(SYS PWD -[UN](?: \S+)?) \S+$/, (_all, head: string) => `${head} ******`));
        if (bmc.staleText !== undefined) writeSync(fd, `[${bmc.staleText}]\r\n`);
        bmc.staleText = undefined;
        writeSync(fd, `[${text(event.text)}]\r\n`);
      }
      if (event.kind !== "message") continue;
      const request = event.message;
      bmc.requests.push(`${hex([request.netFn])}/${hex([request.cmd])}${request.data.length ? ` ${hex(request.data)}` : ""}`);
      if (bmc.silent) continue;
      const isStatus = request.netFn === 0x00 && request.cmd === 0x01;
      const corrupt = isStatus && bmc.corrupt !== "none";
      if (corrupt && bmc.corrupt === "once") bmc.corrupt = "none";
      const locked = mode === "terminal" && bmc.login !== undefined && !loggedIn;
      const { completionCode, data } = locked ? { completionCode: 0xd4, data: Buffer.alloc(0) } : answer(request);
      const response: IpmiMessage = { netFn: request.netFn + 1, lun: request.lun, seq: request.seq, cmd: request.cmd, completionCode, data };
      const bytes = encode(response, corrupt);
      // Basic Mode: the handshake says the packet was taken in, then the response follows.
      writeSync(fd, mode === "basic" ? Buffer.concat([Buffer.from([BASIC.handshake]), bytes]) : bytes);
      if (mode === "terminal" && bmc.echo) writeSync(fd, "[SYS]\r\n");
    }
  });
  input.on("error", () => {});
  return bmc;
}
