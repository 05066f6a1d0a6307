// Every command area. Each subsystem owns one file under ./commands and adds its
// commands there; this list only names the areas, in the order `--help` shows them.
import type { Command } from "./command";
import { configCommands } from "./commands/config";
import { cibCommands } from "./commands/cib";
import { simulateCommands } from "./commands/simulate";
import { membershipCommands } from "./commands/membership";
import { simCommands } from "./commands/sim";
import { executorCommands } from "./commands/executor";
import { fencingCommands, stonithCommands } from "./commands/fencing";
import { clusterCommands } from "./commands/cluster";
import { lifecycleCommands } from "./commands/lifecycle";
import { clusterVerbCommands } from "./commands/cluster-verbs";
import { adminCommands } from "./commands/admin";
import { pcsCommands } from "./commands/pcs";
import { failCountReset } from "./commands/failcount";
import { diagCommands } from "./commands/diag";
import { watchdogCommands } from "./commands/watchdog";
import { alertCommands } from "./commands/alerts";
import { observeCommands } from "./commands/observe";
import { serviceCommands } from "./commands/service";

export function allCommands(): Command[] {
  return [
    ...configCommands,
    ...cibCommands,
    ...simulateCommands,
    ...membershipCommands,
    ...simCommands,
    ...executorCommands,
    ...fencingCommands,
    ...stonithCommands,
    ...watchdogCommands,
    ...clusterCommands,
    ...lifecycleCommands,
    ...clusterVerbCommands,
    ...adminCommands,
    ...pcsCommands,
    failCountReset,
    ...alertCommands,
    ...observeCommands,
    ...diagCommands,
    ...serviceCommands,
  ];
}
