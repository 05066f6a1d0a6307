import type { Command } from "../command";

export const configCommands: Command[] = [];
