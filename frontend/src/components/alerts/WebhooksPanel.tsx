// The project's webhooks: add one, edit one (URL, name, secret), switch one on or off, see its deliveries, delete it
// after confirmation.
import { useState } from "react";
import { alerting } from "../../api";
import type { Webhook } from "../../api/types";
import { useAsync } from "../../useAsync";
import { ConfirmDelete } from "../ConfirmDelete";
import { ACTIONS, DataTable, ListOrEmpty, OnOffToggle, TimeCell, type Column } from "../DataTable";
import { ErrorNote } from "../Layout";
import { useFreshRows } from "../useFreshRows";
import { useRowActions } from "../useRowActions";
import { DeliveriesPanel } from "./DeliveriesPanel";
import { WebhookForm } from "./WebhookForm";

const COLUMNS: Column[] = ["Webhook", "URL", "Signed", "Active", "Added", ACTIONS];

export function WebhooksPanel({ projectId }: { projectId: number }) {
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);
  const hooks = useAsync(() => alerting.webhooks(projectId), [projectId, version]);
  const [showing, setShowing] = useState<number | null>(null);
  const [editing, setEditing] = useState<Webhook | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [hookRows, showHook] = useFreshRows(hooks.data);
  const actions = useRowActions();

  const toggle = (hook: Webhook) =>
    actions.run(hook.id, async () => {
      setSaved(null);
      showHook(await alerting.updateWebhook(projectId, hook.id, { active: !hook.active }));
      reload();
    });
  const remove = (hook: Webhook) =>
    actions.run(hook.id, async () => {
      await alerting.deleteWebhook(projectId, hook.id);
      actions.setConfirming(null);
      setSaved(null);
      if (showing === hook.id) setShowing(null);
      if (editing?.id === hook.id) setEditing(null);
      reload();
    });

  return (
    <section className="card" aria-labelledby="webhooks-title" data-testid="webhooks-section">
      <h2 id="webhooks-title">Webhooks</h2>
      <p className="muted small">
        Each new alert is POSTed as Slack-compatible JSON to every active webhook; with a secret, the body is signed
        (<code>X-AnnotationQC-Signature-256</code>). Failed deliveries are retried up to five times.
      </p>
      {editing ? (
        <WebhookForm key={editing.id} projectId={projectId} webhook={editing} onCancel={() => setEditing(null)}
          onSaved={(hook) => {
            setEditing(null);
            showHook(hook);
            setSaved(`Webhook ${hook.name || `#${hook.id}`} saved.`);
            reload();
          }} />
      ) : (
        <WebhookForm projectId={projectId} onSaved={() => {
          setSaved(null);
          reload();
        }} />
      )}
      <ErrorNote error={actions.error} testId="webhooks-error" />
      {saved && (
        <p className="ok-text" role="status" data-testid="webhooks-saved">
          {saved}
        </p>
      )}
      <ListOrEmpty rows={hooks.data ? hookRows : null} error={hooks.error} emptyTestId="webhooks-empty"
        empty="No webhooks: alerts are shown here and on the dashboard only.">
        {(rows) => (
          <DataTable testId="webhooks-table" columns={COLUMNS}>
            {rows.map((hook) => (
              <tr key={hook.id} data-testid="webhook-row" data-webhook-id={hook.id} data-active={hook.active}
                data-has-secret={hook.has_secret}>
                <th scope="row">{hook.name || `#${hook.id}`}</th>
                <td className="url">
                  <code>{hook.url}</code>
                </td>
                <td data-testid="webhook-secret">{hook.has_secret ? "signed" : "unsigned"}</td>
                <td>
                  <OnOffToggle on={hook.active} disabled={actions.busy === hook.id} onToggle={() => void toggle(hook)}
                    label={`${hook.name || hook.url} active`} testId="webhook-active" />
                </td>
                <TimeCell at={hook.created_at} />
                <td className="row-actions">
                  {actions.confirming !== hook.id && (
                    <button type="button" disabled={editing?.id === hook.id} onClick={() => {
                      setSaved(null);
                      setEditing(hook);
                    }} aria-label={`Edit ${hook.name || hook.url}`} data-testid="webhook-edit">
                      Edit
                    </button>
                  )}
                  <button type="button" aria-expanded={showing === hook.id}
                    onClick={() => setShowing(showing === hook.id ? null : hook.id)} data-testid="webhook-deliveries">
                    Deliveries
                  </button>
                  <ConfirmDelete asking={actions.confirming === hook.id} busy={actions.busy === hook.id}
                    onAsk={() => actions.setConfirming(hook.id)} onConfirm={() => void remove(hook)}
                    onKeep={() => actions.setConfirming(null)} testIdPrefix="webhook" />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListOrEmpty>
      {showing !== null && (
        <DeliveriesPanel projectId={projectId} webhook={hooks.data?.find((h) => h.id === showing) ?? null} webhookId={showing} />
      )}
    </section>
  );
}
