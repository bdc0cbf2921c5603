import { useState } from 'react';
import type { ApiError } from '../../api.ts';
import type { FieldError } from '../../types.ts';
import type { FieldErrors } from './request.ts';

/** The create form's errors: per field, unplaced ones, the failed request, and a tick that asks for focus. */
export function useFormErrors() {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [otherErrors, setOtherErrors] = useState<FieldError[]>([]);
  const [focusTick, setFocusTick] = useState(0);

  /** Show these errors and move the focus to the first (see useFocusFirstError). */
  const show = (errs: FieldErrors, other: FieldError[], prob: ApiError | null) => {
    setErrors(errs);
    setOtherErrors(other);
    setProblem(prob);
    setFocusTick((t) => t + 1);
  };
  const clear = () => {
    setErrors({});
    setOtherErrors([]);
    setProblem(null);
  };
  /** Errors about the previous workload's settings no longer apply. */
  const dropSettingErrors = () => setErrors((cur) => Object.fromEntries(Object.entries(cur).filter(([f]) => !f.startsWith('config.'))));

  const hasProblem = problem !== null || otherErrors.length > 0 || Object.keys(errors).length > 0;
  return { errors, otherErrors, problem, focusTick, hasProblem, show, clear, dropSettingErrors };
}

export type FormErrors = ReturnType<typeof useFormErrors>;
