import type { Command } from "../command";

export const cibCommands: Command[] = [];
