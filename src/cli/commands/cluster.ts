import type { Command } from "../command";

export const clusterCommands: Command[] = [];
