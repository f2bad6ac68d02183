import { useState } from "react";
import { errorMessage } from "../api";

/**
 * Actions on a table's rows (toggle, delete): the row being changed (its controls disabled meanwhile), the row
 * whose deletion awaits confirmation, and the last action's error.
 */
export function useRowActions() {
  const [busy, setBusy] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (rowId: number, action: () => Promise<void>) => {
    setBusy(rowId);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };
  return { busy, confirming, setConfirming, error, run };
}
