/** A failure to report as `error: <message>` with exit code 1. */
export class CliError extends Error {
  readonly exitCode: number = 1;
}

/** A mistake in how the CLI was called: exit code 2. */
export class UsageError extends CliError {
  override readonly exitCode: number = 2;
}
