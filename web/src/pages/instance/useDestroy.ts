import { useState } from 'react';
import { destroyInstance } from '../../api.ts';
import type { Instance } from '../../types.ts';

/** The destroy action of an instance: ask for confirmation, send DELETE, hand the stopping row back. */
export function useDestroy(id: string, onDestroyed: (row: Instance) => void) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const row = await destroyInstance(id);
      onDestroyed(row); // an older GET must not put "running" back
      setConfirming(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const ask = () => setConfirming(true);
  const cancel = () => {
    setConfirming(false);
    setError(null);
  };
  return { confirming, busy, error, ask, confirm, cancel };
}

export type DestroyAction = ReturnType<typeof useDestroy>;
