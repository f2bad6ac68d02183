// The project's alert rules: the list (toggle, edit, delete after confirmation) and the form of a new or edited rule.
import { useState } from "react";
import { alerting } from "../../api";
import type { AlertRule } from "../../api/types";
import { kindLabel, paramsSummary } from "../../manager/alertRules";
import { useAsync } from "../../useAsync";
import { SeverityBadge } from "../Badges";
import { ConfirmDelete } from "../ConfirmDelete";
import { ACTIONS, DataTable, ListOrEmpty, num, OnOffToggle, TimeCell, type Column } from "../DataTable";
import { ErrorNote } from "../Layout";
import { useFreshRows } from "../useFreshRows";
import { useRowActions } from "../useRowActions";
import { RuleForm } from "./RuleForm";

type RuleEditing = { mode: "create" } | { mode: "edit"; rule: AlertRule } | null;

const COLUMNS: Column[] = ["Rule", "Severity", "Parameters", "Enabled", num("Open alerts"), "Last checked", ACTIONS];

export function RulesPanel({ projectId, version, onChanged }: { projectId: number; version: number; onChanged: () => void }) {
  const kinds = useAsync(() => alerting.ruleKinds(projectId), [projectId]);
  const rules = useAsync(() => alerting.rules(projectId), [projectId, version]);
  const [editing, setEditing] = useState<RuleEditing>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [ruleRows, showRule] = useFreshRows(rules.data);
  const actions = useRowActions();

  const toggle = (rule: AlertRule) =>
    actions.run(rule.id, async () => {
      setSaved(null);
      showRule(await alerting.updateRule(projectId, rule.id, { enabled: !rule.enabled }));
      onChanged(); // disabling resolves the rule's open alerts
    });
  const remove = (rule: AlertRule) =>
    actions.run(rule.id, async () => {
      setSaved(null);
      await alerting.deleteRule(projectId, rule.id);
      actions.setConfirming(null);
      if (editing?.mode === "edit" && editing.rule.id === rule.id) setEditing(null);
      setSaved(`Rule #${rule.id} deleted.`);
      onChanged();
    });

  return (
    <section className="card" aria-labelledby="rules-title" data-testid="rules-section">
      <div className="card-head">
        <h2 id="rules-title">Rules</h2>
        <button type="button" onClick={() => setEditing({ mode: "create" })} disabled={!kinds.data || editing?.mode === "create"}
          data-testid="rule-new">
          New rule
        </button>
      </div>
      <p className="muted small">Rules are checked every five minutes and by "Check now"; a new alert goes to every active webhook.</p>
      {kinds.error && <p className="error">Rule kinds unavailable: {kinds.error}</p>}
      {rules.error && <p className="error">{rules.error}</p>}
      <ErrorNote error={actions.error} testId="rules-error" />
      {saved && (
        <p className="ok-text" role="status" data-testid="rules-saved">
          {saved}
        </p>
      )}
      {editing && kinds.data && (
        <RuleForm key={editing.mode === "edit" ? editing.rule.id : "new"} projectId={projectId} kinds={kinds.data}
          rule={editing.mode === "edit" ? editing.rule : undefined} onCancel={() => setEditing(null)}
          onSaved={(rule, created) => {
            setEditing(null);
            showRule(rule);
            setSaved(`Rule #${rule.id} ${created ? "created" : "saved"}.`);
            onChanged();
          }} />
      )}
      <ListOrEmpty rows={rules.data ? ruleRows : null} empty="No rules yet: nothing raises alerts." emptyTestId="rules-empty">
        {(rows) => (
          <DataTable testId="rules-table" columns={COLUMNS}>
            {rows.map((rule) => (
              <tr key={rule.id} data-testid="rule-row" data-rule-id={rule.id} data-kind={rule.kind} data-enabled={rule.enabled}>
                <th scope="row">
                  <div>{rule.name || kindLabel(rule.kind)}</div>
                  <code className="small muted">{rule.kind}</code>
                </th>
                <td>
                  <SeverityBadge severity={rule.severity} />
                </td>
                <td className="small" data-testid="rule-params">{paramsSummary(rule.params)}</td>
                <td>
                  <OnOffToggle on={rule.enabled} disabled={actions.busy === rule.id} onToggle={() => void toggle(rule)}
                    label={`${rule.name || rule.kind} enabled`} testId="rule-enabled" />
                </td>
                <td className="num" data-testid="rule-open-alerts">{rule.open_alerts}</td>
                <TimeCell at={rule.last_checked_at} otherwise="never" />
                <td className="row-actions">
                  {actions.confirming !== rule.id && (
                    <button type="button" onClick={() => setEditing({ mode: "edit", rule })} data-testid="rule-edit">
                      Edit
                    </button>
                  )}
                  <ConfirmDelete asking={actions.confirming === rule.id} busy={actions.busy === rule.id}
                    warning={rule.open_alerts > 0 && ` Its ${rule.open_alerts} open alert${rule.open_alerts === 1 ? "" : "s"} will be resolved.`}
                    onAsk={() => actions.setConfirming(rule.id)} onConfirm={() => void remove(rule)}
                    onKeep={() => actions.setConfirming(null)} testIdPrefix="rule" />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListOrEmpty>
    </section>
  );
}
