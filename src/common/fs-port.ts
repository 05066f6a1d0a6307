// The file-system calls the agent's kept files go through (the durable-write helper, the CIB
// store, the readers of membership.json and started-resources.json): the few synchronous
// node:fs calls they make, as a port. The agent uses node:fs itself (nodeFileSystem); the
// simulator gives the same code an in-memory directory where any write, fsync, rename or
// directory sync can be the moment the process dies, and a power loss keeps only what was
// made durable (src/sim/disk.ts), so that it runs the agent's own store and loader code.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";

/** What a stat of a file or directory says (the part the callers read). */
export interface FileStat {
  mode: number;
  size: number;
  mtimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** "r": read (a file, or a directory to fsync it); "wx": write a new file, failing with EEXIST if it exists. */
export type OpenFlags = "r" | "wx";

export interface FileSystemPort {
  /** Names this process in its temporary files, so that a writer never removes another live writer's own (the pid). */
  readonly processTag: string;
  /** A suffix no other temporary file of this directory has: the process tag and a random part. */
  temporarySuffix(): string;
  mkdirSync(directory: string, options: { recursive: true; mode: number }): void;
  readdirSync(directory: string): string[];
  statSync(file: string): FileStat;
  existsSync(file: string): boolean;
  openSync(file: string, flags: OpenFlags, mode?: number): number;
  fstatSync(descriptor: number): FileStat;
  /** Reads at the descriptor's position (position null), as node:fs does. */
  readSync(descriptor: number, buffer: Uint8Array, offset: number, length: number, position: null): number;
  writeSync(descriptor: number, buffer: Uint8Array, offset: number, length: number): number;
  fchmodSync(descriptor: number, mode: number): void;
  fsyncSync(descriptor: number): void;
  closeSync(descriptor: number): void;
  renameSync(from: string, to: string): void;
  linkSync(existing: string, created: string): void;
  unlinkSync(file: string): void;
}

/** The real file system. */
export const nodeFileSystem: FileSystemPort = {
  processTag: String(process.pid),
  temporarySuffix: () => `${process.pid}.${randomBytes(4).toString("hex")}`,
  mkdirSync: (directory, options) => void fs.mkdirSync(directory, options),
  readdirSync: (directory) => fs.readdirSync(directory),
  statSync: (file) => fs.statSync(file),
  existsSync: (file) => fs.existsSync(file),
  openSync: (file, flags, mode) => fs.openSync(file, flags, mode),
  fstatSync: (descriptor) => fs.fstatSync(descriptor),
  readSync: (descriptor, buffer, offset, length, position) => fs.readSync(descriptor, buffer, offset, length, position),
  writeSync: (descriptor, buffer, offset, length) => fs.writeSync(descriptor, buffer, offset, length),
  fchmodSync: (descriptor, mode) => fs.fchmodSync(descriptor, mode),
  fsyncSync: (descriptor) => fs.fsyncSync(descriptor),
  closeSync: (descriptor) => fs.closeSync(descriptor),
  renameSync: (from, to) => fs.renameSync(from, to),
  linkSync: (existing, created) => fs.linkSync(existing, created),
  unlinkSync: (file) => fs.unlinkSync(file),
};
