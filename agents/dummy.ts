// dummy: a resource whose state is a file; for tests and examples.
import { mkdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import { OCF, type AgentCall, type BuiltinAgent } from "./types";
import { STATE_DIR_DEFAULT } from "./daemon";

const stateOf = (call: AgentCall) => call.params.state ?? `${STATE_DIR_DEFAULT}/dummy-${call.instance}.state`;

export const dummy: BuiltinAgent = {
  name: "dummy",
  description: "A resource whose state is a file: running while the file exists. For tests and examples.",
  parameters: [{ name: "state", description: `The state file (default ${STATE_DIR_DEFAULT}/dummy-INSTANCE.state).` }],
  async start(call) {
    const file = stateOf(call);
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${process.pid}\n`);
      return { rc: OCF.success };
    } catch (error) {
      return { rc: OCF.errGeneric, reason: `cannot write ${file}: ${(error as Error).message}` };
    }
  },
  async stop(call) {
    rmSync(stateOf(call), { force: true });
    return { rc: OCF.success };
  },
  async monitor(call) {
    return existsSync(stateOf(call)) ? { rc: OCF.success } : { rc: OCF.notRunning };
  },
};
