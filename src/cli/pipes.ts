/**
 * What the CLI does when the reader of its output goes away: `hangar events ID | head -1` closes
 * the pipe after one line, and the next write fails with EPIPE. Like `git log | head`, that ends
 * the command quietly with exit 0 (nobody is reading any more) instead of an unhandled 'error'
 * event's stack trace and exit 1. A closed stderr is ignored, so the command's own exit code
 * stands. Any other stream error is thrown as before.
 */

/** What is used of a stream: its 'error' event. */
interface Stream {
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
}

/** The errors a write to a pipe whose reader has gone reports (the first, then the ones after it). */
const CLOSED = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/**
 * Exit with 0 as soon as `stdout`'s reader is gone; ignore the same on `stderr`.
 *
 * @example
 * endQuietlyWhenReaderLeaves(process.stdout, process.stderr, (code) => process.exit(code));
 */
export function endQuietlyWhenReaderLeaves(stdout: Stream, stderr: Stream, exit: (code: number) => void): void {
  stdout.on('error', (err) => {
    if (!CLOSED.has(err.code ?? '')) throw err;
    exit(0);
  });
  stderr.on('error', (err) => {
    if (!CLOSED.has(err.code ?? '')) throw err;
  });
}
