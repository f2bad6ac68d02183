// A webhook's delivery attempts, newest first: the answer (or error), how long it took, and whether it is retried.
import { useState } from "react";
import { alerting } from "../../api";
import type { Webhook } from "../../api/types";
import { useAsync } from "../../useAsync";
import { DataTable, ListOrEmpty, num, TimeCell, type Column } from "../DataTable";
import { PageNumberPager } from "../Pager";
import { PanelHead } from "../PanelHead";

const COLUMNS: Column[] = ["Attempted", num("Alert"), num("Attempt"), "Result", num("Status"), "Error", num("Duration"), "Retry"];

export function DeliveriesPanel({ projectId, webhookId, webhook }: { projectId: number; webhookId: number; webhook: Webhook | null }) {
  const [page, setPage] = useState(1);
  const deliveries = useAsync(() => alerting.deliveries(projectId, webhookId, page), [projectId, webhookId, page]);
  const d = deliveries.data;
  return (
    <section className="deliveries" aria-labelledby="deliveries-title" data-testid="deliveries-panel" data-webhook-id={webhookId}>
      <PanelHead titleId="deliveries-title" title={`Deliveries of ${webhook?.name || `webhook #${webhookId}`}`} button="Refresh"
        onClick={deliveries.reload} buttonTestId="deliveries-refresh" />
      <ListOrEmpty rows={d?.results ?? null} error={deliveries.error} empty="Nothing delivered yet." emptyTestId="deliveries-empty">
        {(rows) => (
          <DataTable testId="deliveries-table" columns={COLUMNS}>
            {rows.map((x) => (
              <tr key={x.id} data-testid="delivery-row" data-ok={x.ok} data-attempt={x.attempt} data-will-retry={x.will_retry}>
                <TimeCell at={x.attempted_at} />
                <td className="num">#{x.alert_id}</td>
                <td className="num">{x.attempt}</td>
                <td>{x.ok ? <span className="ok-text">ok</span> : <span className="error-text">failed</span>}</td>
                <td className="num">{x.status_code ?? "—"}</td>
                <td className="small" title={x.response_excerpt || undefined}>{x.error || "—"}</td>
                <td className="num">{x.duration_ms} ms</td>
                <td>{x.will_retry ? "will retry" : "—"}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListOrEmpty>
      <PageNumberPager data={d} page={page} onPage={setPage} testIdPrefix="deliveries" newestFirst />
    </section>
  );
}
