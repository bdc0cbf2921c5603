import { ApiError } from '../api.ts';
import { ErrorBox } from './ErrorBox.tsx';

/** The message the API gave for one field of a failed request (its `errors[].field`), if any. */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.fieldErrors.find((f) => f.field === field || f.field.startsWith(`${field}.`) || f.field.startsWith(`${field}[`))?.message;
}

/** A failed action's error: the API's message, and each field it names with that field's message. */
export function ApiProblem({ error, title }: { error: unknown; title: string }) {
  const fields = error instanceof ApiError ? error.fieldErrors : [];
  return (
    <div data-testid="api-problem">
      <ErrorBox error={error} title={title} />
      {fields.length > 0 && (
        <ul className="field-errors" data-testid="field-errors">
          {fields.map((f) => (
            <li key={`${f.field}:${f.message}`}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
