import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from './lockfile.ts';

describe('acquireLock', () => {
  it('holds the data dir for one process, says who holds it, and takes over a dead one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-lock-'));
    writeFileSync(join(dir, 'hangar.lock'), String(process.ppid));
    expect(() => acquireLock(dir)).toThrow(new RegExp(`already running with data dir .* \\(pid ${process.ppid}\\)`));
    writeFileSync(join(dir, 'hangar.lock'), '999999999'); // no such process: a stale lock
    const release = acquireLock(dir);
    expect(existsSync(join(dir, 'hangar.lock'))).toBe(true);
    release();
    expect(existsSync(join(dir, 'hangar.lock'))).toBe(false);
  });
});
