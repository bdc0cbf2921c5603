import { useId, type ReactNode } from 'react';

/**
 * A labelled form control with its hint and its error (from the API's `errors[].field`) right
 * under it. The control is rendered by `children(props)` so inputs, selects and textareas all
 * get the same id, aria-describedby and aria-invalid wiring.
 */
export function Field(props: {
  /** The API field this control maps to (e.g. `connectTimeoutSeconds`, `config.apiKey`). */
  name: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string;
  optional?: boolean;
  className?: string;
  children: (control: { id: string; name: string; 'aria-describedby'?: string; 'aria-invalid'?: true; 'data-testid': string }) => ReactNode;
}) {
  const id = `f-${useId().replace(/:/g, '')}`;
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errId = props.error ? `${id}-err` : undefined;
  const describedBy = [errId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${props.error ? ' field-invalid' : ''}${props.className ? ` ${props.className}` : ''}`} data-field={props.name}>
      <label htmlFor={id}>
        {props.label}
        {props.optional && <span className="optional"> (optional)</span>}
      </label>
      {props.children({ id, name: props.name, 'aria-describedby': describedBy, 'aria-invalid': props.error ? true : undefined, 'data-testid': `input-${props.name}` })}
      {props.error && (
        <p className="field-error" id={errId} role="alert" data-testid={`error-${props.name}`}>
          {props.error}
        </p>
      )}
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}
