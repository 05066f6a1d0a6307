// How the checker watches a run: every controller input and its effects (through a wrapper
// at the Controller's public seam, so nothing in the controller knows), and the world's own
// events (power, fencing, starts, what probes saw).
import type { Cib, } from "../cib";
import type { ClusterSummary, ControllerEffect, ControllerInput } from "../controller";
import type { PersistedMembership, ControllerPort } from "../stack";
import type { Datagram } from "./network";
import type { Agent, SimNode } from "./world";

export interface Observer {
  controller(node: SimNode, agent: Agent, input: ControllerInput, effects: ControllerEffect[]): void;
  stepped(node: SimNode): void;
  delivered(node: SimNode, agent: Agent, datagram: Datagram): void;
  persistedMembership(node: SimNode, state: PersistedMembership): void;
  logged(node: SimNode, message: string, fields: Record<string, unknown>): void;
  startBegan(node: SimNode, resource: string): void;
  activeChanged(node: SimNode, resource: string): void;
  observed(node: SimNode, resource: string, running: boolean): void;
  stopFailed(node: SimNode, resource: string): void;
  fenced(node: SimNode): void;
  /** The node's code threw (an assertion of its own failed, the agent process ends), or it found a peer's message invalid. */
  crashed(node: SimNode, message: string): void;
  poweredOff(node: SimNode): void;
}

/** The controller seen through its seam: inputs and effects pass unchanged and are reported. */
export class ObservedController implements ControllerPort {
  constructor(private readonly inner: ControllerPort, private readonly report: (input: ControllerInput, effects: ControllerEffect[]) => void) {}

  handle(input: ControllerInput): ControllerEffect[] {
    const effects = this.inner.handle(input);
    this.report(input, effects);
    return effects;
  }

  nextTickMs(busyMs: number): number | undefined {
    return this.inner.nextTickMs(busyMs);
  }

  observeWallClock(epochSeconds: number): void {
    this.inner.observeWallClock(epochSeconds);
  }

  get isDc(): boolean {
    return this.inner.isDc;
  }

  get dcName(): string | undefined {
    return this.inner.dcName;
  }

  get configuration(): Cib {
    return this.inner.configuration;
  }

  get summary(): ClusterSummary | undefined {
    return this.inner.summary;
  }
}
