// A serial line opened with the native part of @serialport/bindings-cpp, loaded
// through src/node/native (so the single executable carries it as an asset).
// The addon opens the device non-blocking with the termios settings we ask for
// (raw, 8N1, no flow control) and tells us when the descriptor is readable; the
// bytes themselves move with fs.read/fs.write on that descriptor.
import { read, write } from "node:fs";
import { EdgehaError } from "../../src/common/errors";
import { loadSerialNative } from "../../src/node/native";

interface NativePoller {
  poll(flags: number): void;
  stop(): void;
  destroy(): void;
}

interface SerialNative {
  open(path: string, options: Record<string, unknown>, callback: (error: Error | null, fd: number) => void): void;
  close(fd: number, callback: (error: Error | null) => void): void;
  flush(fd: number, callback: (error: Error | null) => void): void;
  Poller: new (fd: number, callback: (error: Error | null, flags: number) => void) => NativePoller;
}

const READABLE = 0b0001;
const READ_CHUNK_BYTES = 512;

export interface SerialLine {
  write(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400] as const;

const LOCK_RETRY_MS = 50;

/**
 * Opens the device with an exclusive lock. Another edgeha process using the same
 * port (a monitor while a fence starts) holds the lock for a moment: wait for it
 * up to lockWaitMs rather than fail the fence.
 */
async function openLocked(native: SerialNative, path: string, options: Record<string, unknown>, lockWaitMs: number): Promise<number> {
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      return await new Promise<number>((resolve, reject) => native.open(path, options, (error, opened) => (error ? reject(error) : resolve(opened))));
    } catch (error) {
      const message = (error as Error).message;
      const locked = /Cannot lock port/.test(message);
      if (locked && Date.now() + LOCK_RETRY_MS <= deadline) {
        await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
        continue;
      }
      const why = locked ? `another process holds it (still locked after ${lockWaitMs} ms)` : message;
      throw new EdgehaError("E_FENCE_SERIAL_OPEN", `cannot open serial device ${path} at ${options.baudRate} baud: ${why}`);
    }
  }
}

/** Opens `path` at `baudRate`; every chunk read is handed to onData. */
export async function openSerialLine(path: string, baudRate: number, onData: (chunk: Buffer) => void, lockWaitMs = 0): Promise<SerialLine> {
  let native: SerialNative;
  try {
    native = loadSerialNative() as unknown as SerialNative;
  } catch (error) {
    if (error instanceof EdgehaError) throw error;
    throw new EdgehaError("E_NATIVE_LOAD", `cannot load the serial addon: ${(error as Error).message}`);
  }
  const options = {
    baudRate, dataBits: 8, parity: "none", stopBits: 1, rtscts: false, rtsMode: "handshake",
    xon: false, xoff: false, xany: false, hupcl: false, lock: true, vmin: 1, vtime: 0,
  };
  const fd = await openLocked(native, path, options, lockWaitMs);
  // Bytes that arrived before we opened (answers meant for an earlier process) are dropped.
  await new Promise<void>((resolve) => native.flush(fd, () => resolve()));
  let closed = false;
  const buffer = Buffer.alloc(READ_CHUNK_BYTES);
  const drain = (): void => {
    if (closed) return;
    read(fd, buffer, 0, buffer.length, null, (error, bytesRead) => {
      if (closed) return;
      if (!error && bytesRead > 0) {
        onData(Buffer.from(buffer.subarray(0, bytesRead)));
        drain();
        return;
      }
      // EAGAIN (nothing more for now) or EOF: wait for the descriptor to become readable.
      poller.poll(READABLE);
    });
  };
  const poller = new native.Poller(fd, (error) => {
    if (!error) drain();
  });
  drain();
  return {
    async write(bytes) {
      let offset = 0;
      for (let attempt = 0; offset < bytes.length && attempt < 1000; attempt++) {
        offset += await new Promise<number>((resolve, reject) => {
          write(fd, bytes, offset, bytes.length - offset, null, (error, written) => {
            if (error && (error as NodeJS.ErrnoException).code === "EAGAIN") setTimeout(() => resolve(0), 2);
            else if (error) reject(new EdgehaError("E_FENCE_SERIAL_OPEN", `writing to serial device ${path} failed: ${error.message}`));
            else resolve(written);
          });
        });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      poller.stop();
      poller.destroy();
      await new Promise<void>((resolve) => native.close(fd, () => resolve()));
    },
  };
}
