/**
 * Atomic file replacement: the bytes go to a temporary file in the target's directory, which is
 * flushed to disk (fsync) and then renamed over the target, and the directory entry is flushed in
 * turn. A reader (or a crash, or a kill) therefore sees either the complete old file or the
 * complete new one, never a mixture or a truncated file. On any error the temporary file is
 * removed and the previous file is left as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Largest single write; large buffers are written in slices of this size. */
const WRITE_SLICE = 8 << 20;

/**
 * The name of the temporary file used while `target` is written: hidden, in the same directory (a
 * rename is only atomic within one file system), unique to this process and call.
 */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.byteLength) {
    const len = Math.min(WRITE_SLICE, bytes.byteLength - off);
    off += fs.writeSync(fd, bytes, off, len);
  }
}

/** Flushes a directory entry (the rename) to disk, where the platform can. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    // Windows cannot open or fsync a directory; some file systems refuse it. The data itself was
    // already flushed before the rename, so this only narrows the window for a power failure.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF' && code !== 'EACCES') throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes the concatenation of `chunks` to `target` atomically (see above). `what` names the
 * operation in error messages.
 */
export function writeFileAtomic(target: string, chunks: Iterable<Uint8Array>, what = 'save'): void {
  const abs = path.resolve(target);
  const tmp = tempPathFor(abs);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o666);
    for (const c of chunks) writeAll(fd, c);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, abs);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temporary file may never have been created
    }
    const e = err as NodeJS.ErrnoException;
    const wrapped = new Error(`${what}: could not write ${target} (the previous file, if any, is unchanged): ${e.message}`, { cause: err });
    (wrapped as NodeJS.ErrnoException).code = e.code;
    throw wrapped;
  }
  fsyncDir(path.dirname(abs));
}
