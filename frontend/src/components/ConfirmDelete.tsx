/**
 * A row's Delete button that asks first: "Delete?" (and `warning`) with Delete and Keep. Test ids:
 * `<prefix>-delete`, `<prefix>-delete-confirm`, `<prefix>-delete-cancel`.
 */
export function ConfirmDelete({
  asking,
  busy,
  warning,
  onAsk,
  onConfirm,
  onKeep,
  testIdPrefix,
}: {
  asking: boolean;
  busy: boolean;
  warning?: string | false;
  onAsk: () => void;
  onConfirm: () => void;
  onKeep: () => void;
  testIdPrefix: string;
}) {
  if (!asking) {
    return (
      <button type="button" onClick={onAsk} data-testid={`${testIdPrefix}-delete`}>
        Delete
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label="Confirm deletion">
      <span className="small">Delete?{warning}</span>
      <button type="button" className="danger" disabled={busy} onClick={onConfirm} data-testid={`${testIdPrefix}-delete-confirm`}>
        Delete
      </button>
      <button type="button" onClick={onKeep} data-testid={`${testIdPrefix}-delete-cancel`}>
        Keep
      </button>
    </span>
  );
}
