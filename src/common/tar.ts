// A minimal POSIX ustar writer for support bundles: regular files and directories, names
// up to 255 bytes (prefix + name), gzip around it by the caller. No links, no special files.

export interface TarEntry {
  name: string;
  content: Buffer;
  mode?: number;
  mtimeSeconds: number;
}

function field(header: Buffer, offset: number, length: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > length) throw new RangeError(`tar field too long: ${text}`);
  bytes.copy(header, offset);
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, "0")}\0`;
}

function splitName(name: string): { prefix: string; name: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: "", name };
  const cut = name.lastIndexOf("/", 155);
  if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100 || Buffer.byteLength(name.slice(0, cut)) > 155) throw new RangeError(`tar name too long: ${name}`);
  return { prefix: name.slice(0, cut), name: name.slice(cut + 1) };
}

function header(entry: TarEntry, type: "0" | "5", size: number): Buffer {
  const block = Buffer.alloc(512);
  const { prefix, name } = splitName(entry.name);
  field(block, 0, 100, name);
  field(block, 100, 8, octal(entry.mode ?? (type === "5" ? 0o755 : 0o644), 8));
  field(block, 108, 8, octal(0, 8));
  field(block, 116, 8, octal(0, 8));
  field(block, 124, 12, octal(size, 12));
  field(block, 136, 12, octal(Math.max(0, Math.floor(entry.mtimeSeconds)), 12));
  block.fill(0x20, 148, 156);
  field(block, 156, 1, type);
  field(block, 257, 6, "ustar\0");
  field(block, 263, 2, "00");
  field(block, 265, 32, "root");
  field(block, 297, 32, "root");
  field(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  field(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

/** The tar archive of the entries (directories for every parent are added first). */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  const directories = new Set<string>();
  for (const entry of entries) {
    const segments = entry.name.split("/");
    for (let depth = 1; depth < segments.length; depth++) {
      const directory = `${segments.slice(0, depth).join("/")}/`;
      if (directories.has(directory)) continue;
      directories.add(directory);
      parts.push(header({ name: directory, content: Buffer.alloc(0), mtimeSeconds: entry.mtimeSeconds }, "5", 0));
    }
    parts.push(header(entry, "0", entry.content.length), entry.content);
    const padding = (512 - (entry.content.length % 512)) % 512;
    if (padding) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
