import { Field } from '../../components/Field.tsx';
import { isSecretSetting, type SettingDef } from '../../workloads.ts';

/** One workload setting's control (choice, switch, text, number, password or textarea), named `config.<key>` for the API's errors. */
export function SettingInput({ def, value, error, onChange }: { def: SettingDef; value: string; error?: string; onChange: (v: string) => void }) {
  const name = `config.${def.key}`;
  const secret = isSecretSetting(def.key) || def.type === 'secretPairs';
  const label = (
    <>
      {def.label}
      {secret && (
        <span className="optional" title="Stored sealed; never returned by the API">
          {' '}
          · sealed
        </span>
      )}
    </>
  );
  if (def.type === 'choice') {
    return (
      <div className={`field span-all${error ? ' field-invalid' : ''}`} data-field={name}>
        <span className="label" id={`lbl-${def.key}`}>
          {def.label}
        </span>
        <div className="segmented" role="radiogroup" aria-labelledby={`lbl-${def.key}`} data-testid={`input-${name}`}>
          {def.options?.map((o) => (
            <label key={o.value}>
              <input type="radio" name={name} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
              {o.label}
            </label>
          ))}
        </div>
        {error && (
          <p className="field-error" role="alert" data-testid={`error-${name}`}>
            {error}
          </p>
        )}
      </div>
    );
  }
  if (def.type === 'bool') {
    return (
      <div className={`field span-all${error ? ' field-invalid' : ''}`} data-field={name}>
        <label className="switch">
          <input type="checkbox" role="switch" name={name} checked={value === 'true'} onChange={(e) => onChange(e.target.checked ? 'true' : '')} data-testid={`input-${name}`} aria-invalid={error ? true : undefined} />
          {def.label}
        </label>
        {error && (
          <p className="field-error" role="alert" data-testid={`error-${name}`}>
            {error}
          </p>
        )}
        {def.hint && <p className="hint">{def.hint}</p>}
      </div>
    );
  }
  // Settings shown only in some modes are required in the mode that shows them.
  const isRequired = typeof def.required === 'function' ? true : Boolean(def.required);
  const multiline = def.type === 'textarea' || def.type === 'secretPairs' || def.type === 'envMap';
  return (
    <Field name={name} label={label} hint={def.hint} error={error} optional={!isRequired} className={def.wide || multiline ? 'span-all' : undefined}>
      {(p) =>
        multiline ? (
          <textarea {...p} value={value} placeholder={def.placeholder} rows={def.type === 'textarea' ? 9 : 3} spellCheck={false} autoComplete="off" className={def.type === 'textarea' ? undefined : 'textarea-small'} onChange={(e) => onChange(e.target.value)} />
        ) : (
          <input
            {...p}
            type={def.type === 'password' ? 'password' : def.type === 'number' ? 'number' : def.type === 'url' ? 'url' : 'text'}
            inputMode={def.type === 'number' ? 'numeric' : undefined}
            value={value}
            placeholder={def.placeholder}
            autoComplete={def.type === 'password' ? 'new-password' : 'off'}
            spellCheck={false}
            onChange={(e) => onChange(e.target.value)}
          />
        )
      }
    </Field>
  );
}
