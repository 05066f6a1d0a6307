// An IPMI requester on a serial line: one request at a time, a fresh sequence
// number per try, a per-try timeout and a bounded number of tries. A garbled
// reply (bad checksum, bad escape, not hex) is reported and the request is sent
// again at once; a silent line costs the whole per-try timeout.
import { EdgehaError } from "../../src/common/errors";
import { createDecoder, encodeMessage, BASIC, type DecodedEvent, type Decoder, type IpmiMessage, type SerialMode } from "./framing";
import { openSerialLine, type SerialLine } from "./line";

export interface SerialTarget {
  device: string;
  baudRate: number;
  mode: SerialMode;
  /** Wait for each answer, per try. */
  timeoutMs: number;
  /** Tries after the first one. */
  retries: number;
}

/** Names of the commands the driver sends, for messages a person reads. */
const COMMAND_NAMES: Record<string, string> = { "0:1": "Get Chassis Status", "0:2": "Chassis Control", "6:1": "Get Device ID" };

export function commandName(netFn: number, cmd: number): string {
  return COMMAND_NAMES[`${netFn}:${cmd}`] ?? `netFn 0x${netFn.toString(16)} cmd 0x${cmd.toString(16)}`;
}

export class SerialIpmiClient {
  private sequence = 0;
  private waiter: ((event: DecodedEvent) => void) | undefined;
  private readonly decoder: Decoder;

  private constructor(private readonly target: SerialTarget, private readonly debug: (line: string) => void, decoder: Decoder, private line?: SerialLine) {
    this.decoder = decoder;
  }

  static async open(target: SerialTarget, debug: (line: string) => void = () => {}): Promise<SerialIpmiClient> {
    const client = new SerialIpmiClient(target, debug, createDecoder(target.mode, true));
    client.line = await openSerialLine(target.device, target.baudRate, (chunk) => client.onData(chunk));
    debug(`opened ${target.device} at ${target.baudRate} baud, ${target.mode} mode`);
    return client;
  }

  private onData(chunk: Buffer): void {
    for (const event of this.decoder.feed(chunk)) {
      if (this.waiter) this.waiter(event);
      else if (event.kind !== "handshake") this.debug(`ignored ${event.kind} with no request waiting`);
    }
  }

  /** Sends one request; returns the response data after a completion code of 0. */
  async request(netFn: number, cmd: number, data: Buffer, signal: AbortSignal): Promise<Buffer> {
    const name = commandName(netFn, cmd);
    const sent = new Set<number>();
    let garbled: string | undefined;
    const tries = this.target.retries + 1;
    for (let attempt = 1; attempt <= tries && !signal.aborted; attempt++) {
      this.sequence = (this.sequence % 63) + 1;
      sent.add(this.sequence);
      const message: IpmiMessage = { netFn, lun: 0, seq: this.sequence, cmd, data };
      const outcome = await this.exchange(encodeMessage(this.target.mode, message), (answer) => answer.netFn === netFn + 1 && answer.cmd === cmd && sent.has(answer.seq), signal);
      if (outcome.kind === "answer") {
        const response = outcome.message;
        if (this.target.mode === "basic") await this.line!.write(Buffer.from([BASIC.handshake]));
        if (response.completionCode !== 0) {
          throw new EdgehaError("E_FENCE_IPMI", `BMC on ${this.target.device} answered ${name} with completion code 0x${response.completionCode!.toString(16).padStart(2, "0")}`);
        }
        return response.data;
      }
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

  private async exchange(bytes: Buffer, matches: (message: IpmiMessage) => boolean, signal: AbortSignal): Promise<{ kind: "answer"; message: IpmiMessage } | { kind: "garbled"; reason: string } | { kind: "silent" }> {
    let finish: (value: { kind: "answer"; message: IpmiMessage } | { kind: "garbled"; reason: string } | { kind: "silent" }) => void = () => {};
    const result = new Promise<{ kind: "answer"; message: IpmiMessage } | { kind: "garbled"; reason: string } | { kind: "silent" }>((resolve) => (finish = resolve));
    const timer = setTimeout(() => finish({ kind: "silent" }), this.target.timeoutMs);
    const onAbort = (): void => finish({ kind: "silent" });
    signal.addEventListener("abort", onAbort, { once: true });
    this.waiter = (event) => {
      if (event.kind === "garbled") finish({ kind: "garbled", reason: event.reason });
      else if (event.kind === "message" && matches(event.message)) finish({ kind: "answer", message: event.message });
      else if (event.kind === "message") this.debug(`ignored a reply that does not match (netFn 0x${event.message.netFn.toString(16)} seq ${event.message.seq} cmd 0x${event.message.cmd.toString(16)})`);
      else if (event.kind === "text") this.debug(`ignored text "${event.text.slice(0, 60)}"`);
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
    await this.line?.close();
  }
}
