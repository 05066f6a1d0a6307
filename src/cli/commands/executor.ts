import type { Command } from "../command";

export const executorCommands: Command[] = [];
