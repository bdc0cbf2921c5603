import { useRef, type FormEvent } from 'react';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { useTitle } from '../hooks.ts';
import { ErrorSummary } from './create/ErrorSummary.tsx';
import { FormActions } from './create/FormActions.tsx';
import { NetworkSection } from './create/NetworkSection.tsx';
import { PlanPreview } from './create/PlanPreview.tsx';
import { ServerSection } from './create/ServerSection.tsx';
import { useCreateForm } from './create/useCreateForm.ts';
import { useFocusFirstError } from './create/useFocusFirstError.ts';
import { WorkloadSection } from './create/WorkloadSection.tsx';

/**
 * Create an instance: provider → location → server type (with prices) → workload and its
 * settings → Tailscale and timeouts. The API validates; its field errors are shown next to the
 * fields. "Preview" asks for a dry run and shows the exact user-data (token redacted).
 */
export function CreateInstance() {
  useTitle('Create instance');
  const form = useCreateForm();
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, form.errors.focusTick);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void form.submit('create');
  };

  const providers = form.server.providers;
  if (providers.state === 'error') return <ErrorBox error={providers.error} title="Could not load providers" />;

  return (
    <section className="page" aria-labelledby="create-title">
      <div className="page-head">
        <div>
          <h1 id="create-title">Create instance</h1>
          <p className="muted">A server with the Hangar agent on it. It is running once the agent has dialed home and reported its workload healthy.</p>
        </div>
      </div>

      <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="create-form" aria-describedby={form.errors.hasProblem ? 'form-problem' : undefined}>
        <ErrorSummary errors={form.errors} workload={form.fields.workload} />
        <ServerSection form={form} />
        <WorkloadSection form={form} />
        <NetworkSection form={form} />
        <FormActions form={form} />
      </form>

      {form.plan && <PlanPreview plan={form.plan.plan} stale={form.stale} busy={form.busy !== null} onRefresh={() => void form.submit('preview')} />}
    </section>
  );
}
