import { useState } from "react";
import { ApiError, errorMessage } from "../api";

type Errors = Record<string, string[]>;

/**
 * A form's errors by field, the detail at its top, and `save`, which runs a request with the form busy; when the
 * request fails, the server's field errors (grouped by `place`) and its detail are shown. A failure with no answer
 * (the network) keeps the form's own errors and says what went wrong.
 */
export function useFormSave() {
  const [errors, setErrors] = useState<Errors>({});
  const [detail, setDetail] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (request: () => Promise<void>, place: (errors: Errors | undefined) => Errors) => {
    setBusy(true);
    try {
      await request();
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(place(err.body.errors));
        setDetail(err.message);
      } else {
        setDetail(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  };
  /** Drops a field's errors (the user changed it). */
  const clearError = (field: string) =>
    setErrors((old) => {
      if (!old[field]) return old;
      const next = { ...old };
      delete next[field];
      return next;
    });
  return { errors, setErrors, clearError, detail, setDetail, busy, save };
}
