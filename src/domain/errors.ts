/**
 * The one error class of Hangar, with typed subclasses. Every error carries an HTTP status and a
 * stable `type` slug so the API can render it as RFC 9457 problem details.
 *
 * @example
 * throw new NotFoundError('instance', id);
 */
export class HangarError extends Error {
  readonly status: number;
  readonly type: string;
  readonly errors?: { field: string; message: string }[];
  constructor(type: string, message: string, status = 500, errors?: { field: string; message: string }[]) {
    super(message);
    this.name = new.target.name;
    this.type = type;
    this.status = status;
    this.errors = errors;
  }
}

/** Bad input: 400 with the offending fields named. */
export class ValidationError extends HangarError {
  constructor(message: string, errors: { field: string; message: string }[] = []) {
    super('validation-error', message, 400, errors);
  }
}

export class NotFoundError extends HangarError {
  constructor(what: string, id: string) {
    super('not-found', `${what} ${id} not found`, 404);
  }
}

export class ConflictError extends HangarError {
  constructor(message: string) {
    super('conflict', message, 409);
  }
}

export class UnauthorizedError extends HangarError {
  constructor(message = 'missing or invalid API key') {
    super('unauthorized', message, 401);
  }
}

/** A transition a state machine does not allow, e.g. `stopped → running` (of an instance, or of `subject`). */
export class IllegalTransitionError extends HangarError {
  constructor(readonly from: string, readonly event: string, detail?: string, subject = 'an instance') {
    super('illegal-transition', `cannot apply ${event} to ${subject} that is ${from}${detail ? `: ${detail}` : ''}`, 409);
  }
}

/**
 * A cloud API failure, keeping the vendor's own error code (`uniqueness_error`,
 * `rate_limit_exceeded`, `not_found`, …) so it can be shown in instance events.
 */
export class ProviderError extends HangarError {
  constructor(
    readonly provider: string,
    readonly code: string,
    message: string,
    readonly httpStatus?: number,
    readonly retryable = false,
  ) {
    super('provider-error', `${provider}: ${code}: ${message}`, 502);
  }
}
