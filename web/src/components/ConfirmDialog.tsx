import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A modal confirmation on the native <dialog> (focus trapping, Escape to cancel). The cancel
 * button gets the initial focus so Enter never destroys by accident.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      d.showModal();
      cancelRef.current?.focus();
    } else if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="dialog-title"
      data-testid={props.testId ?? 'confirm-dialog'}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
      onClick={(e) => {
        if (e.target === ref.current) props.onCancel();
      }}
    >
      <div className="dialog-body">
        <h2 id="dialog-title">{props.title}</h2>
        <div className="dialog-text">{props.children}</div>
        <div className="dialog-actions">
          <button type="button" className="btn" ref={cancelRef} onClick={props.onCancel} disabled={props.busy}>
            Cancel
          </button>
          <button type="button" className={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`} onClick={props.onConfirm} disabled={props.busy} data-testid="confirm-button">
            {props.busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </div>
    </dialog>
  );
}
