import type { Command } from "../command";

export const membershipCommands: Command[] = [];
