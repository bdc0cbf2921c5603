import { useEffect, type RefObject } from 'react';

/** After errors render (each `tick`), focus the form's first field in error (in page order), else the summary. */
export function useFocusFirstError(form: RefObject<HTMLFormElement | null>, tick: number): void {
  useEffect(() => {
    if (!tick) return;
    const first = form.current?.querySelector<HTMLElement>('[aria-invalid="true"], .field-invalid input');
    if (first) first.focus();
    else document.getElementById('form-problem')?.focus();
  }, [tick, form]);
}
