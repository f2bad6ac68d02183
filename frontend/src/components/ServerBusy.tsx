// "Server busy, retrying": shown while any request waits out a Retry-After (src/api/http.ts repeats it).
import { useEffect, useState } from "react";
import { onServerBusy, serverBusy } from "../api";

export function ServerBusy() {
  const [busy, setBusy] = useState(serverBusy);
  useEffect(() => {
    setBusy(serverBusy());
    return onServerBusy(setBusy);
  }, []);
  if (!busy) return null;
  return (
    <div className="server-busy" role="status" aria-live="polite">
      The server is busy; retrying in a moment…
    </div>
  );
}
