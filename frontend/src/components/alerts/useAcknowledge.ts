import { useState } from "react";
import { alerting, errorMessage } from "../../api";
import type { Alert } from "../../api/types";
import { useFreshRows } from "../useFreshRows";

/** Acknowledging alerts: the alerts with the acknowledged ones as the server returned them, and the last error. */
export function useAcknowledge(projectId: number, alerts: Alert[] | null) {
  const [rows, showAlert] = useFreshRows(alerts);
  const [error, setError] = useState<string | null>(null);
  const acknowledge = async (alert: Alert) => {
    setError(null);
    try {
      showAlert(await alerting.acknowledge(projectId, alert.id));
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return { rows, acknowledge, error, setError };
}
