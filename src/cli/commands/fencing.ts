import type { Command } from "../command";

export const fencingCommands: Command[] = [];
