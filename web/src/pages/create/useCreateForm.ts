import { useRef, useState } from 'react';
import { ApiError, createInstance } from '../../api.ts';
import { href, navigate } from '../../router.ts';
import { WORKLOADS, type Plan, type WorkloadKind } from '../../types.ts';
import { initialSettings } from '../../workloads.ts';
import { buildRequest, mapFieldErrors, type CreateFields } from './request.ts';
import { useFormErrors } from './useFormErrors.ts';
import { useServerChoice } from './useServerChoice.ts';

/** A random Idempotency-Key (crypto.randomUUID needs a secure context; getRandomValues does not). */
function newKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

type Settings = Record<WorkloadKind, Record<string, string>>;

/** The create form's state: its fields, their errors, and submitting it as a dry run ("preview") or for real. */
export function useCreateForm() {
  const server = useServerChoice();
  const [image, setImage] = useState('');
  const [name, setName] = useState('');
  const [workload, setWorkload] = useState<WorkloadKind>('process');
  const [settings, setSettings] = useState<Settings>(() => Object.fromEntries(WORKLOADS.map((w) => [w, initialSettings(w)])) as Settings);
  const [tailscale, setTailscale] = useState(false);
  const [tags, setTags] = useState('');
  const [connectTimeout, setConnectTimeout] = useState('');
  const [onFailure, setOnFailure] = useState<'destroy' | 'keep'>('destroy');
  const errors = useFormErrors();
  const [busy, setBusy] = useState<'preview' | 'create' | null>(null);
  const [plan, setPlan] = useState<{ plan: Plan; body: string } | null>(null);
  const idem = useRef<{ body: string; key: string } | null>(null);

  const fields: CreateFields = { provider: server.provider, location: server.location, serverType: server.serverType, image, name, workload, settings: settings[workload], tailscale, tags, connectTimeout, onFailure };
  const setSetting = (key: string, value: string) => setSettings((cur) => ({ ...cur, [workload]: { ...cur[workload], [key]: value } }));
  const chooseWorkload = (w: WorkloadKind) => {
    setWorkload(w);
    errors.dropSettingErrors();
  };

  const handleApiError = (err: unknown) => {
    if (!(err instanceof ApiError)) {
      errors.show({}, [], new ApiError(0, null, err instanceof Error ? err.message : String(err)));
      return;
    }
    const { mapped, other } = mapFieldErrors(err.fieldErrors, fields);
    errors.show(mapped, other, err);
  };

  const submit = async (mode: 'preview' | 'create') => {
    const { body, local } = buildRequest(fields);
    if (server.blocked === 'no-ssh-hosts') local.provider = 'the SSH provider has no hosts: add one with `hangar hosts add` first';
    if (Object.keys(local).length) {
      errors.show(local, [], null);
      return;
    }
    setBusy(mode);
    errors.clear();
    const json = JSON.stringify(body);
    try {
      if (mode === 'preview') {
        const p = await createInstance(body, { dryRun: true });
        setPlan({ plan: p, body: json });
      } else {
        // The same key while the body is unchanged: a retry after a lost answer creates nothing twice.
        if (idem.current?.body !== json) idem.current = { body: json, key: newKey() };
        const inst = await createInstance(body, { idempotencyKey: idem.current.key });
        navigate(href.instance(inst.id));
      }
    } catch (err) {
      handleApiError(err);
    } finally {
      setBusy(null);
    }
  };

  const stale = plan !== null && plan.body !== JSON.stringify(buildRequest(fields).body);
  const set = { image: setImage, name: setName, tailscale: setTailscale, tags: setTags, connectTimeout: setConnectTimeout, onFailure: setOnFailure };
  return { server, fields, set, setSetting, chooseWorkload, errors, busy, plan, stale, submit };
}

export type CreateForm = ReturnType<typeof useCreateForm>;
