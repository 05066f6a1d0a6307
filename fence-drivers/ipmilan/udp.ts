// The UDP request loop both IPMI over LAN session kinds share (RMCP+ and IPMI 1.5): send a
// packet, wait for the first reply the caller accepts, resend on silence, give up after the
// configured tries or when the action is aborted.
import { createSocket, type Socket } from "node:dgram";
import { EdgehaError } from "../../src/common/errors";

export interface UdpPeer { host: string; port: number; timeoutMs: number; retries: number }

export class BmcSocket {
  private readonly socket: Socket;
  private pending: ((message: Buffer) => void) | undefined;

  /** `protocol` names the session kind in the timeout error ("" for RMCP+, " over IPMI 1.5", ...). */
  constructor(private readonly peer: UdpPeer, private readonly debug: (line: string) => void, private readonly protocol = "") {
    this.socket = createSocket(peer.host.includes(":") ? "udp6" : "udp4");
    this.socket.on("message", (message) => this.pending?.(message));
    this.socket.on("error", () => {});
  }

  /** Sends `packet` until `accept` returns a reply for it; what `accept` returns is the answer. */
  async exchange(packet: Buffer, accept: (message: Buffer) => Buffer | undefined, what: string, signal: AbortSignal): Promise<Buffer> {
    const { host, port, timeoutMs, retries } = this.peer;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (signal.aborted) break;
      const answer = await new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => done(undefined), timeoutMs);
        const onAbort = (): void => done(undefined);
        const done = (value: Buffer | undefined): void => { clearTimeout(timer); signal.removeEventListener("abort", onAbort); this.pending = undefined; resolve(value); };
        signal.addEventListener("abort", onAbort, { once: true });
        this.pending = (message) => { const got = accept(message); if (got) done(got); };
        this.socket.send(packet, port, host);
      });
      if (answer) return answer;
      this.debug(`${what}: no answer from ${host}:${port} (attempt ${attempt + 1})`);
    }
    throw new EdgehaError("E_FENCE_TIMEOUT", `BMC ${host}:${port} did not answer ${what}${this.protocol} (${retries + 1} tries of ${timeoutMs} ms); check the address, port and that IPMI over LAN is enabled`);
  }

  close(): void {
    this.socket.close();
  }
}
