import type { WorkloadKind } from '../../types.ts';
import { summaryTitle } from './request.ts';
import type { FormErrors } from './useFormErrors.ts';

/** The create form's error summary: which fields to correct, or why the API refused (focus lands here when no field is to blame). */
export function ErrorSummary({ errors: e, workload }: { errors: FormErrors; workload: WorkloadKind }) {
  if (!e.hasProblem) return null;
  return (
    <div className="callout callout-error error-summary" role="alert" id="form-problem" tabIndex={-1} data-testid="form-problem">
      <strong>{summaryTitle(e.errors, workload, e.otherErrors.length)}</strong>
      {e.problem?.message && !Object.keys(e.errors).length && !e.otherErrors.length && <p>{e.problem.message}</p>}
      {e.otherErrors.length > 0 && (
        <ul>
          {e.otherErrors.map((x) => (
            <li key={`${x.field}:${x.message}`}>
              <code>{x.field}</code>: {x.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
