import { WORKLOADS } from '../../types.ts';
import { visibleSettings, WORKLOAD_INFO } from '../../workloads.ts';
import { SettingInput } from './SettingInput.tsx';
import type { CreateForm } from './useCreateForm.ts';

/** The create form's "Workload" section: which workload the agent runs, and that workload's settings. */
export function WorkloadSection({ form }: { form: CreateForm }) {
  const { fields: f, chooseWorkload, setSetting } = form;
  const errors = form.errors.errors;
  return (
    <fieldset className="form-section">
      <legend>Workload</legend>
      <p className="section-hint">What the agent runs once it has enrolled. Settings whose names end in key, token, password or secret are sealed at rest and never shown again.</p>
      <div className="choices" role="radiogroup" aria-label="Workload" data-testid="workloads">
        {WORKLOADS.map((w) => (
          <label className="choice" key={w} data-testid={`workload-${w}`}>
            <input type="radio" name="workload" value={w} checked={f.workload === w} onChange={() => chooseWorkload(w)} />
            <span className="choice-title">{WORKLOAD_INFO[w].title}</span>
            <span className="choice-desc">{WORKLOAD_INFO[w].description}</span>
          </label>
        ))}
      </div>
      {errors.workload && (
        <p className="field-error" role="alert" data-testid="error-workload">
          {errors.workload}
        </p>
      )}
      <div className="grid-2" data-testid="workload-settings">
        {visibleSettings(f.workload, f.settings).map((d) => (
          <SettingInput key={`${f.workload}.${d.key}`} def={d} value={f.settings[d.key] ?? ''} error={errors[`config.${d.key}`]} onChange={(v) => setSetting(d.key, v)} />
        ))}
      </div>
    </fieldset>
  );
}
