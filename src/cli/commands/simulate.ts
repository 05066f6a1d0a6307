import type { Command } from "../command";

export const simulateCommands: Command[] = [];
