// Config texts written for these tests, and a helper that checks one and returns
// its problems formatted as the CLI prints them.
import { checkConfigText, formatProblem } from "../../../src/config/index";

/** A valid two-node pair with two links per node; line numbers below are relied upon. */
export const PAIR = `cluster_name: shelf7
transport: { port: 5405, crypto: on }
nodes:
  - { name: alpha, id: 1, links: [10.20.0.1, 172.16.9.1] }
  - { name: beta, id: 2, links: [10.20.0.2, 172.16.9.2] }
quorum: { two_node: true, arbiter: "10.20.0.9:5406" }
timing: { heartbeat_ms: 100, token_ms: 500 }
paths: { authkey: /etc/edgeha/authkey, state_dir: /var/lib/edgeha, socket: /run/edgeha/edgeha.sock }
`;

/** The smallest valid config: everything else defaulted. */
export const MINIMAL = `cluster_name: lab
nodes:
  - name: left
    id: 10
    links: [192.0.2.10]
  - name: right
    id: 20
    links: [192.0.2.20]
`;

export function problemLines(text: string, fileName = "test.yaml"): string[] {
  const check = checkConfigText(text, fileName);
  return check.problems.map((problem) => formatProblem(fileName, problem));
}

export function errorLines(text: string, fileName = "test.yaml"): string[] {
  return problemLines(text, fileName).filter((line) => !line.includes(": warning: "));
}

export function warningLines(text: string, fileName = "test.yaml"): string[] {
  return problemLines(text, fileName).filter((line) => line.includes(": warning: "));
}

/** Replaces one line (1-based) of a config text. */
export function withLine(text: string, lineNumber: number, replacement: string): string {
  const lines = text.split("\n");
  lines[lineNumber - 1] = replacement;
  return lines.join("\n");
}
