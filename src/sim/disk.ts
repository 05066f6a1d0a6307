// A node's simulated disk: an in-memory file system behind the agent's file-system port
// (src/common/fs-port.ts), so the simulator runs the agent's own durable-write helper, CIB
// store and loaders (src/common/durable.ts, src/cib/store.ts, src/node/membership-file.ts,
// src/executor/started-file.ts) rather than a model of them.
//
// What it keeps apart, as a journaling file system does:
// - a file's data as written (the page cache) and as last fsynced (on the platter);
// - a directory's entries as they are now and as of its last fsync, with the changes since
//   (creations, renames, links, removals) in order.
// The agent process can die at any mutating call (a create, a write, an fsync, a rename, a
// link, a removal, a directory sync): armCrash(n) makes the n-th such call from now the last
// one the process makes. A write it dies in is torn (a random prefix of it reaches the page
// cache); every later call of that process fails as well (it is dead: no cleanup runs).
// What a dead process wrote stays in the page cache: the next process sees it (a torn
// temporary file among them, until the store removes it). A power loss keeps only what was
// made durable: each file keeps its fsynced data plus a random prefix of what was appended
// since (a torn file, when a writer renamed before it fsynced), and each directory keeps its
// synced entries plus a random prefix of the changes made since (a rename not yet synced may
// be lost). Directories themselves are created durable. Deterministic per seed: every chance
// comes from the run's Random, the time stamps are a counter.
import path from "node:path";
import type { FileStat, FileSystemPort, OpenFlags } from "../common/fs-port";
import type { Random } from "./random";

/** Thrown by every call of the agent process once it died at its crash point. */
export class SimCrash extends Error {
  constructor(readonly point: string) {
    super(`the agent process died ${point}`);
  }
}

interface Inode { data: Uint8Array; durable: Uint8Array; mode: number; mtimeMs: number }
type DirectoryChange = { kind: "set"; name: string; inode: Inode } | { kind: "rename"; from: string; to: string } | { kind: "delete"; name: string };
interface Directory { entries: Map<string, Inode>; durable: Map<string, Inode>; changes: DirectoryChange[] }
interface Descriptor { path: string; inode: Inode | undefined; writable: boolean; position: number }

export class SimDisk implements FileSystemPort {
  private readonly directories = new Map<string, Directory>();
  private readonly descriptors = new Map<number, Descriptor>();
  private nextDescriptor = 3;
  private clock = 0;
  private temporaries = 0;
  private process = 1;
  /** Mutating calls left before the one the process dies in; undefined: no crash is due. */
  private crashIn: number | undefined;
  private random: Random | undefined;
  private dead: SimCrash | undefined;

  /** How the current agent process died at its crash point, if it did (its calls all fail since). */
  get died(): SimCrash | undefined {
    return this.dead;
  }

  get processTag(): string {
    return `sim${this.process}`;
  }

  temporarySuffix(): string {
    return `${this.processTag}.${++this.temporaries}`;
  }

  /** The agent process will die in its `calls`-th mutating call from now (0: the next one). */
  armCrash(calls: number, random: Random): void {
    this.crashIn = calls;
    this.random = random;
  }

  disarm(): void {
    this.crashIn = undefined;
  }

  /** The agent process ended (crashed, killed, exited): a new one uses the disk from now on; the page cache stays. */
  processEnded(): void {
    this.descriptors.clear();
    this.dead = undefined;
    this.process++;
  }

  /** The power went: only what was made durable stays, with torn tails and lost directory changes as the seed says. */
  powerLoss(random: Random): void {
    this.processEnded();
    const inodes = new Set<Inode>();
    for (const directory of this.directories.values()) {
      // (A chance is drawn only where something was not durable: a seed's other draws stay as they were.)
      const kept = directory.changes.length === 0 ? 0 : random.between(0, directory.changes.length);
      for (const change of directory.changes.slice(0, kept)) apply(directory.durable, change);
      directory.changes = [];
      directory.entries = new Map(directory.durable);
      for (const inode of directory.entries.values()) inodes.add(inode);
    }
    for (const inode of inodes) {
      if (sameBytes(inode.data, inode.durable)) continue;
      const appended = startsWith(inode.data, inode.durable) ? inode.data.length - inode.durable.length : 0;
      inode.data = inode.data.slice(0, inode.durable.length + random.between(0, appended));
      inode.durable = inode.data;
    }
  }

  /** The names in a directory that are temporary files of the durable-write helper (for tests and the trace). */
  temporaryFiles(directory: string): string[] {
    return [...(this.directories.get(path.resolve(directory))?.entries.keys() ?? [])].filter((name) => name.startsWith(".") && name.endsWith(".tmp")).sort();
  }

  // ---- the port --------------------------------------------------------------------

  mkdirSync(directory: string, options: { recursive: true; mode: number }): void {
    this.alive();
    void options;
    for (let each = path.resolve(directory); !this.directories.has(each); each = path.dirname(each)) {
      this.directories.set(each, { entries: new Map(), durable: new Map(), changes: [] });
      if (each === path.dirname(each)) break;
    }
  }

  readdirSync(directory: string): string[] {
    this.alive();
    const found = this.directories.get(path.resolve(directory));
    if (found === undefined) throw systemError("ENOENT", "scandir", directory);
    return [...found.entries.keys()].sort();
  }

  statSync(file: string): FileStat {
    this.alive();
    const full = path.resolve(file);
    if (this.directories.has(full)) return directoryStat();
    const inode = this.lookUp(full);
    if (inode === undefined) throw systemError("ENOENT", "stat", file);
    return fileStat(inode);
  }

  existsSync(file: string): boolean {
    const full = path.resolve(file);
    return this.directories.has(full) || this.lookUp(full) !== undefined;
  }

  openSync(file: string, flags: OpenFlags, mode = 0o666): number {
    this.alive();
    const full = path.resolve(file);
    let inode: Inode | undefined;
    if (flags === "wx") {
      this.mutation(`creating ${file}`);
      const directory = this.directories.get(path.dirname(full));
      if (directory === undefined) throw systemError("ENOENT", "open", file);
      if (directory.entries.has(path.basename(full)) || this.directories.has(full)) throw systemError("EEXIST", "open", file);
      inode = { data: new Uint8Array(0), durable: new Uint8Array(0), mode: mode & 0o777, mtimeMs: ++this.clock };
      this.change(directory, { kind: "set", name: path.basename(full), inode });
    } else if (!this.directories.has(full)) {
      inode = this.lookUp(full);
      if (inode === undefined) throw systemError("ENOENT", "open", file);
    }
    const descriptor = this.nextDescriptor++;
    this.descriptors.set(descriptor, { path: full, inode, writable: flags === "wx", position: 0 });
    return descriptor;
  }

  fstatSync(descriptor: number): FileStat {
    this.alive();
    const open = this.descriptor(descriptor);
    return open.inode === undefined ? directoryStat() : fileStat(open.inode);
  }

  readSync(descriptor: number, buffer: Uint8Array, offset: number, length: number, position: null): number {
    this.alive();
    void position;
    const open = this.descriptor(descriptor);
    if (open.inode === undefined) throw systemError("EISDIR", "read", open.path);
    const bytes = open.inode.data.subarray(open.position, open.position + length);
    buffer.set(bytes, offset);
    open.position += bytes.length;
    return bytes.length;
  }

  writeSync(descriptor: number, buffer: Uint8Array, offset: number, length: number): number {
    this.alive();
    const open = this.descriptor(descriptor);
    if (open.inode === undefined || !open.writable) throw systemError("EBADF", "write", open.path);
    const inode = open.inode;
    const append = (count: number) => {
      const data = new Uint8Array(inode.data.length + count);
      data.set(inode.data);
      data.set(buffer.subarray(offset, offset + count), inode.data.length);
      inode.data = data;
      inode.mtimeMs = ++this.clock;
    };
    // Dying in a write tears it: part of it reached the page cache.
    this.mutation(`writing ${open.path}`, () => append(this.random!.between(0, Math.max(0, length - 1))));
    append(length);
    return length;
  }

  fchmodSync(descriptor: number, mode: number): void {
    this.alive();
    const open = this.descriptor(descriptor);
    if (open.inode !== undefined) open.inode.mode = mode & 0o777;
  }

  fsyncSync(descriptor: number): void {
    this.alive();
    const open = this.descriptor(descriptor);
    const directory = this.directories.get(open.path);
    this.mutation(`syncing ${directory === undefined ? "" : "the directory "}${open.path}`);
    if (directory !== undefined) {
      for (const change of directory.changes) apply(directory.durable, change);
      directory.changes = [];
    } else if (open.inode !== undefined) {
      open.inode.durable = open.inode.data;
    }
  }

  closeSync(descriptor: number): void {
    this.alive();
    this.descriptor(descriptor);
    this.descriptors.delete(descriptor);
  }

  renameSync(from: string, to: string): void {
    this.alive();
    this.mutation(`renaming ${from} to ${to}`);
    const [source, target] = [path.resolve(from), path.resolve(to)];
    const directory = this.directories.get(path.dirname(source));
    if (directory === undefined || !directory.entries.has(path.basename(source))) throw systemError("ENOENT", "rename", from);
    if (path.dirname(target) !== path.dirname(source)) throw systemError("EXDEV", "rename", to);
    this.change(directory, { kind: "rename", from: path.basename(source), to: path.basename(target) });
  }

  linkSync(existing: string, created: string): void {
    this.alive();
    this.mutation(`linking ${created}`);
    const [source, target] = [path.resolve(existing), path.resolve(created)];
    const inode = this.lookUp(source);
    if (inode === undefined) throw systemError("ENOENT", "link", existing);
    const directory = this.directories.get(path.dirname(target));
    if (directory === undefined) throw systemError("ENOENT", "link", created);
    if (directory.entries.has(path.basename(target))) throw systemError("EEXIST", "link", created);
    this.change(directory, { kind: "set", name: path.basename(target), inode });
  }

  unlinkSync(file: string): void {
    this.alive();
    this.mutation(`removing ${file}`);
    const full = path.resolve(file);
    const directory = this.directories.get(path.dirname(full));
    if (directory === undefined || !directory.entries.has(path.basename(full))) throw systemError("ENOENT", "unlink", file);
    this.change(directory, { kind: "delete", name: path.basename(full) });
  }

  // ---- inside ----------------------------------------------------------------------

  private alive(): void {
    if (this.dead !== undefined) throw this.dead;
  }

  /** One mutating call: the process dies in it when its crash is due (after `torn`, the part of it that happened). */
  private mutation(what: string, torn?: () => void): void {
    if (this.crashIn === undefined) return;
    if (this.crashIn-- > 0) return;
    this.crashIn = undefined;
    torn?.();
    this.dead = new SimCrash(`${torn ? "in the middle of" : "at"} ${what}`);
    throw this.dead;
  }

  private change(directory: Directory, change: DirectoryChange): void {
    apply(directory.entries, change);
    directory.changes.push(change);
  }

  private lookUp(full: string): Inode | undefined {
    return this.directories.get(path.dirname(full))?.entries.get(path.basename(full));
  }

  private descriptor(descriptor: number): Descriptor {
    const open = this.descriptors.get(descriptor);
    if (open === undefined) throw systemError("EBADF", "descriptor", String(descriptor));
    return open;
  }
}

function apply(entries: Map<string, Inode>, change: DirectoryChange): void {
  if (change.kind === "set") entries.set(change.name, change.inode);
  else if (change.kind === "delete") entries.delete(change.name);
  else {
    const inode = entries.get(change.from);
    entries.delete(change.from);
    if (inode !== undefined) entries.set(change.to, inode);
  }
}

function fileStat(inode: Inode): FileStat {
  return { mode: 0o100000 | inode.mode, size: inode.data.length, mtimeMs: inode.mtimeMs, isFile: () => true, isDirectory: () => false };
}

function directoryStat(): FileStat {
  return { mode: 0o040700, size: 4096, mtimeMs: 0, isFile: () => false, isDirectory: () => true };
}

function systemError(code: string, call: string, file: string): Error {
  return Object.assign(new Error(`${code}: ${call} '${file}'`), { code });
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left === right || (left.length === right.length && startsWith(left, right));
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > data.length) return false;
  for (let index = 0; index < prefix.length; index++) if (data[index] !== prefix[index]) return false;
  return true;
}
