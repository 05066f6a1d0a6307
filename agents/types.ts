// The shape of a built-in resource agent: OCF semantics (the same actions and exit codes),
// run inside the agent process so a monitor costs no fork. Long-running work they start
// (daemons) runs in its own process group; an action honours its AbortSignal (timeout).
export const OCF = { success: 0, errGeneric: 1, errArgs: 2, errUnimplemented: 3, errPerm: 4, errInstalled: 5, errConfigured: 6, notRunning: 7 } as const;

export interface AgentCall {
  /** Instance parameters (OCF_RESKEY_*), as strings. */
  params: Readonly<Record<string, string>>;
  /** The resource id (OCF_RESOURCE_INSTANCE). */
  instance: string;
  /** Ends the action: the executor's timeout. */
  signal: AbortSignal;
  /** Publishes (or, with undefined, withdraws) a node attribute of this node. */
  setAttribute?(name: string, value: string | undefined): void;
  /** A monitor's interval: 0 is a probe (is it running here at all?). Absent for other actions. */
  intervalMs?: number;
  /**
   * Starts only: the DC fenced every node the resource was last active on, and confirmed it,
   * before this start (controller/execution.ts); no cluster node holds it now.
   */
  formerHolderFenced?: boolean;
}

export interface AgentOutcome {
  rc: number;
  /** Why, for anything but success (shown as the exit reason). */
  reason?: string;
}

export interface ParameterSpec {
  name: string;
  required?: boolean;
  default?: string;
  description: string;
  /** The content type its meta-data declares (ra-api-1.dtd allows string, integer, boolean, time); string when absent. */
  type?: "string" | "integer" | "time";
}

/** A given value that is not what its parameter takes: `expected` says what it must be ("an IPv4 or IPv6 address"). */
export interface ValueProblem {
  parameter: string;
  value: string;
  expected: string;
}

export interface BuiltinAgent {
  name: string;
  description: string;
  parameters: ParameterSpec[];
  /**
   * The agent's own check of the values given (its validate-all), beyond their declared
   * types, on the values alone: no look at this node. Pure, so `resource create` runs it too.
   */
  validate?(params: Readonly<Record<string, string>>): ValueProblem[];
  start(call: AgentCall): Promise<AgentOutcome>;
  stop(call: AgentCall): Promise<AgentOutcome>;
  monitor(call: AgentCall): Promise<AgentOutcome>;
}

/** Missing required parameters give OCF_ERR_CONFIGURED naming them. */
export function checkParameters(agent: BuiltinAgent, params: Readonly<Record<string, string>>): AgentOutcome | undefined {
  const missing = agent.parameters.filter((parameter) => parameter.required && !(params[parameter.name] ?? "").trim()).map((parameter) => parameter.name);
  if (missing.length === 0) return undefined;
  return { rc: OCF.errConfigured, reason: `missing required parameter${missing.length > 1 ? "s" : ""} ${missing.join(", ")} for ${agent.name}` };
}

/** Values not of their declared type (integer) or refused by the agent's own check: what validate-all reports. */
export function valueProblems(agent: BuiltinAgent, params: Readonly<Record<string, string>>): ValueProblem[] {
  const problems: ValueProblem[] = [];
  for (const parameter of agent.parameters) {
    const value = (params[parameter.name] ?? "").trim();
    if (value !== "" && parameter.type === "integer" && !/^[+-]?\d+$/.test(value)) problems.push({ parameter: parameter.name, value, expected: "an integer" });
  }
  return [...problems, ...(agent.validate?.(params) ?? [])];
}

/** validate-all: the required parameters, then the values (OCF_ERR_CONFIGURED naming the first problem). */
export function validateAll(agent: BuiltinAgent, params: Readonly<Record<string, string>>): AgentOutcome {
  const missing = checkParameters(agent, params);
  if (missing) return missing;
  const problem = valueProblems(agent, params)[0];
  return problem === undefined ? { rc: OCF.success } : { rc: OCF.errConfigured, reason: `${problem.parameter} '${problem.value}' must be ${problem.expected}` };
}

/** OCF meta-data XML for a built-in agent. */
export function metadataXml(agent: BuiltinAgent): string {
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const parameters = agent.parameters.map((parameter) => `    <parameter name="${parameter.name}" required="${parameter.required ? 1 : 0}" unique="0">
      <longdesc lang="en">${escape(parameter.description)}</longdesc>
      <shortdesc lang="en">${escape(parameter.description.split(".")[0]!)}</shortdesc>
      <content type="${parameter.type ?? "string"}"${parameter.default === undefined ? "" : ` default="${escape(parameter.default)}"`}/>
    </parameter>`).join("\n");
  return `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="${agent.name}" version="1.0">
  <version>1.1</version>
  <longdesc lang="en">${escape(agent.description)}</longdesc>
  <shortdesc lang="en">${escape(agent.description.split(".")[0]!)}</shortdesc>
  <parameters>
${parameters}
  </parameters>
  <actions>
    <action name="start" timeout="20s"/>
    <action name="stop" timeout="20s"/>
    <action name="monitor" timeout="20s" interval="10s" depth="0"/>
    <action name="validate-all" timeout="20s"/>
    <action name="meta-data" timeout="5s"/>
  </actions>
</resource-agent>
`;
}
