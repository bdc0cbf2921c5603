import { Field } from '../../components/Field.tsx';
import { LocationPicker } from './LocationPicker.tsx';
import { NoSshHosts } from '../../components/NoSshHosts.tsx';
import { ProviderPicker } from './ProviderPicker.tsx';
import { ServerTypePicker } from './ServerTypePicker.tsx';
import type { CreateForm } from './useCreateForm.ts';

/** The create form's "Server" section: provider, location, server type, name and image. */
export function ServerSection({ form }: { form: CreateForm }) {
  const { server: s, fields: f, set } = form;
  const errors = form.errors.errors;
  return (
    <fieldset className="form-section">
      <legend>Server</legend>
      <p className="section-hint">Where the server runs and how big it is. Prices are the provider’s list prices per month.</p>
      <div className="grid-2">
        <ProviderPicker providers={s.providers} value={s.provider} error={errors.provider} onChange={s.chooseProvider} />
        <LocationPicker locations={s.locations} provider={s.provider} value={s.location} error={errors.location} onChange={s.setLocation} />
      </div>
      {s.blocked === 'no-ssh-hosts' && <NoSshHosts />}

      <ServerTypePicker types={s.types} available={s.available} provider={s.provider} location={s.location} value={s.serverType} error={errors.serverType} onChange={s.setServerType} />

      <div className="grid-2">
        <Field name="name" label="Name" optional error={errors.name} hint="Letters, digits, spaces, dots, dashes, underscores. The server is named hangar-<name>-<id>.">
          {(p) => <input {...p} type="text" value={f.name} maxLength={60} placeholder={f.workload} autoComplete="off" onChange={(e) => set.name(e.target.value)} />}
        </Field>
        {s.provider !== 'local' && (
          <Field name="image" label="Image" optional error={errors.image} hint="An image name or snapshot id; empty: Hangar’s default.">
            {(p) => <input {...p} type="text" value={f.image} placeholder="ubuntu-24.04" autoComplete="off" onChange={(e) => set.image(e.target.value)} />}
          </Field>
        )}
      </div>
    </fieldset>
  );
}
