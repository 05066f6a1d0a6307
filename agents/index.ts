// The built-in resource agents, by name (class "builtin" in the CIB).
import type { BuiltinAgent } from "./types";
import { ipaddr } from "./ipaddr";
import { haproxy } from "./haproxy";
import { memcached } from "./memcached";
import { dummy } from "./dummy";
import { ping } from "./ping";
import { processAgent } from "./process";

export { OCF, checkParameters, metadataXml, validateAll, valueProblems, type BuiltinAgent, type AgentCall, type AgentOutcome, type ParameterSpec, type ValueProblem } from "./types";

export const builtinAgents: ReadonlyMap<string, BuiltinAgent> = new Map([ipaddr, haproxy, memcached, processAgent, dummy, ping].map((agent) => [agent.name, agent]));
