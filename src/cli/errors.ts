/**
 * The exit codes the CLI promises (README "Exit codes"): pipelines branch on them.
 *
 * @example
 * if (outcome === 'timeout') return EXIT.timeout; // 124, as timeout(1) uses
 */
export const EXIT = {
  /** Done: the instance reached what was asked (running, stopped). */
  ok: 0,
  /** It failed, or the server refused or could not be reached; the reason is printed. */
  failed: 1,
  /** The command was called wrongly (a bad flag or value); nothing was done. */
  usage: 2,
  /** `--wait --timeout N` passed before the instance got there; it keeps going. */
  timeout: 124,
  /** Ctrl+C while waiting; the instance keeps going. */
  interrupted: 130,
} as const;

/** A failure to report as `error: <message>` with exit code 1. */
export class CliError extends Error {
  readonly exitCode: number = EXIT.failed;
}

/** A mistake in how the CLI was called: exit code 2. */
export class UsageError extends CliError {
  override readonly exitCode: number = EXIT.usage;
}

/**
 * `--timeout` as seconds (a positive number), checked before anything is done; undefined when not given.
 *
 * @example
 * parseTimeout('90') // → 90
 * parseTimeout('soon') // throws UsageError (exit 2)
 */
export function parseTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--timeout must be a positive number of seconds, got "${raw}"`);
  return n;
}
