/**
 * Private key files. A host's key is either uploaded at registration (sealed at rest) or a file
 * in the key directory (`HANGAR_SSH_KEY_DIR`, default `<dataDir>/ssh-keys`), named by
 * `keyPath`: a name inside it, or an absolute path inside it. Nothing outside that directory is
 * ever opened (the check is on the path first, then on its real path, so a symlink cannot lead
 * out), files are read asynchronously, only when they are regular files (opened non-blocking,
 * then fstat'ed: a FIFO or a device is refused at once) and at most 64 KiB long. Every failure
 * reads the same, so the answer says nothing about files elsewhere on the control plane.
 *
 * @example
 * const pem = await readKeyInDir('/var/lib/hangar/ssh-keys', 'web-1'); // the file's text
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

/** Largest key file read, in bytes (an RSA 16384-bit key in PEM is about 13 KiB). */
export const KEY_FILE_MAX_BYTES = 64 * 1024;
/** The environment variable naming the key directory. */
export const KEY_DIR_ENV = 'HANGAR_SSH_KEY_DIR';
/** The one message for every key file that cannot be used. */
export const NO_KEY_FILE = `no readable key file of that name in ${KEY_DIR_ENV}; give a file name inside that directory, or upload the key as privateKey`;

/** A key file that cannot be used; its message is always {@link NO_KEY_FILE}. */
export class KeyFileError extends Error {
  constructor() {
    super(NO_KEY_FILE);
  }
}

/**
 * Read a regular file of at most `maxBytes` without ever blocking on it: opened with
 * `O_NONBLOCK | O_NOFOLLOW | O_NOCTTY`, then fstat'ed; anything but a regular file of that size
 * is refused. Throws a plain Error describing why (for the operator's own machine: the CLI).
 *
 * @example
 * await readRegularFile(`${homedir()}/.ssh/id_ed25519`) // → '-----BEGIN OPENSSH PRIVATE KEY-----…'
 */
export async function readRegularFile(path: string, maxBytes = KEY_FILE_MAX_BYTES): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error('is not a regular file');
    if (st.size > maxBytes) throw new Error(`is larger than ${maxBytes} bytes`);
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > maxBytes) throw new Error(`is larger than ${maxBytes} bytes`);
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Whether `child` is `dir` itself or below it (both absolute and normalised). */
function inside(dir: string, child: string): boolean {
  const rel = relative(dir, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The text of key file `keyPath` in `keyDir`. Throws {@link KeyFileError} (always the same
 * message) when there is no key directory, the path leads outside it (also through a symlink),
 * or the file is missing, not a regular file, unreadable or larger than 64 KiB.
 *
 * @example
 * await readKeyInDir('/srv/hangar/ssh-keys', '../../etc/shadow') // throws KeyFileError
 */
export async function readKeyInDir(keyDir: string | undefined, keyPath: unknown): Promise<string> {
  if (!keyDir || typeof keyPath !== 'string' || !keyPath || keyPath.length > 1024 || keyPath.includes('\0')) throw new KeyFileError();
  const dir = resolve(keyDir);
  const wanted = resolve(dir, keyPath);
  // The path itself first: nothing outside the directory is even looked at.
  if (!inside(dir, wanted)) throw new KeyFileError();
  try {
    const [realDir, real] = await Promise.all([realpath(dir), realpath(wanted)]);
    if (!inside(realDir, real)) throw new KeyFileError();
    return await readRegularFile(real);
  } catch {
    throw new KeyFileError();
  }
}
