// Alerts, alert rules and webhooks of a project (managers).
import { useEffect, useState, type FormEvent } from "react";
import { alerting, ApiError, errorMessage, projects } from "../api";
import type {
  Alert,
  AlertCheckResult,
  AlertRule,
  AlertRuleKind,
  AlertRuleKindSpec,
  AlertSeverity,
  AlertStatusFilter,
  Member,
  Project,
  Webhook,
} from "../api/types";
import {
  isChoiceParam,
  kindLabel,
  paramHint,
  paramLabel,
  paramsSummary,
  ruleCreateBody,
  ruleFormValues,
  rulePatch,
  type RuleErrors,
  type RuleFormValues,
} from "../manager/alertRules";
import { formatTime } from "../manager/exchange";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

export function AlertsPage({ projectId }: { projectId: number }) {
  return (
    <ManagerPage projectId={projectId} tab="alerts">
      {(project) => <AlertsScreen project={project} />}
    </ManagerPage>
  );
}

export function AlertsScreen({ project }: { project: Project }) {
  // Checking, toggling or deleting a rule changes the alerts and the rules' counts: both lists reload.
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  const members = useAsync(() => projects.members(project.id), [project.id]);
  return (
    <div className="alerts-page" data-testid="alerts-page">
      <h1>Alerting</h1>
      <AlertsSection projectId={project.id} version={version} onChecked={changed} members={members.data ?? []} />
      <RulesSection projectId={project.id} version={version} onChanged={changed} />
      <WebhooksSection projectId={project.id} />
    </div>
  );
}

/** Rows the server returned from a PATCH, shown until the list itself reloads with them. */
function useFreshRows<T extends { id: number }>(list: T[] | null): [T[], (row: T) => void] {
  const [fresh, setFresh] = useState<Map<number, T>>(new Map());
  useEffect(() => setFresh(new Map()), [list]);
  const rows = (list ?? []).map((row) => fresh.get(row.id) ?? row);
  return [rows, (row: T) => setFresh((m) => new Map(m).set(row.id, row))];
}

function Errors({ messages, id, testId }: { messages: string[] | undefined; id: string; testId: string }) {
  if (!messages || messages.length === 0) return null;
  return (
    <ul id={id} className="field-errors" data-testid={testId}>
      {messages.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Alerts

/** The server's page size (annotation_qc/core/pagination.py PagePagination). */
const PAGE_SIZE = 50;

/** "annotator:5" -> "annotator3"; "project" stays. */
function subjectText(subject: string, names: Map<number, string>): string {
  const m = /^annotator:(\d+)$/.exec(subject);
  if (!m) return subject;
  return names.get(Number(m[1])) ?? `annotator #${m[1]}`;
}

function checkSummary(result: AlertCheckResult): string {
  const failed = Object.keys(result.failed).length;
  return (
    `Checked ${result.rules} rule${result.rules === 1 ? "" : "s"}: ${result.fired.length} fired, ` +
    `${result.resolved} resolved, ${result.open} open` +
    (failed ? `, ${failed} could not be checked.` : ".")
  );
}

function AlertsSection({
  projectId,
  version,
  onChecked,
  members,
}: {
  projectId: number;
  version: number;
  onChecked: () => void;
  members: Member[];
}) {
  const [status, setStatus] = useState<AlertStatusFilter>("all");
  const [page, setPage] = useState(1);
  const alerts = useAsync(() => alerting.alerts(projectId, status, page), [projectId, status, page, version]);
  const [updated, setUpdated] = useState<Map<number, Alert>>(new Map());
  const [checking, setChecking] = useState(false);
  const [result, setResult] = useState<AlertCheckResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const names = new Map(members.map((m) => [m.user_id, m.username]));

  const check = async () => {
    setChecking(true);
    setError(null);
    try {
      setResult(await alerting.check(projectId));
      setUpdated(new Map());
      onChecked();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setChecking(false);
    }
  };
  const acknowledge = async (alert: Alert) => {
    setError(null);
    try {
      const fresh = await alerting.acknowledge(projectId, alert.id);
      setUpdated((m) => new Map(m).set(alert.id, fresh));
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const data = alerts.data;
  const list = (data?.results ?? []).map((a) => updated.get(a.id) ?? a);
  return (
    <section className="card alerts-section" aria-labelledby="alerts-list-title">
      <div className="card-head">
        <h2 id="alerts-list-title">Alerts</h2>
        <div className="actions">
          <label className="inline">
            Show{" "}
            <select value={status} data-testid="alerts-filter-status"
              onChange={(e) => {
                setStatus(e.target.value as AlertStatusFilter);
                setPage(1);
              }}>
              <option value="all">all (open first)</option>
              <option value="open">open</option>
              <option value="resolved">resolved</option>
            </select>
          </label>
          <button type="button" onClick={() => void check()} disabled={checking} data-testid="alerts-check">
            {checking ? "Checking…" : "Check now"}
          </button>
        </div>
      </div>
      {result && (
        <div className="notice" role="status" data-testid="alerts-check-result" data-fired={result.fired.length}
          data-resolved={result.resolved}>
          {checkSummary(result)}
          {Object.entries(result.failed).map(([ruleId, message]) => (
            <div key={ruleId} className="error small" data-testid="alerts-check-failed" data-rule-id={ruleId}>
              Rule #{ruleId}: {message}
            </div>
          ))}
        </div>
      )}
      {error && (
        <p className="error" role="alert" data-testid="alerts-error">
          {error}
        </p>
      )}
      {alerts.error && <p className="error">{alerts.error}</p>}
      {data && (
        <p className="muted small" data-testid="alerts-count">
          {data.count} {status === "all" ? "" : `${status} `}alert{data.count === 1 ? "" : "s"}
        </p>
      )}
      {data && list.length === 0 && (
        <p className="muted" data-testid="alerts-none">
          {status === "open" ? "No open alerts." : "No alerts."}
        </p>
      )}
      {list.length > 0 && (
        <div className="table-wrap">
          <table className="compact data-table" data-testid="alerts-table">
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Kind</th>
                <th scope="col">Subject</th>
                <th scope="col">Message</th>
                <th scope="col">Fired</th>
                <th scope="col">Resolved</th>
                <th scope="col">Acknowledged</th>
              </tr>
            </thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.id} className={`alert-row ${a.severity} ${a.status}`} data-testid="alert-row"
                  data-alert-id={a.id} data-kind={a.kind} data-status={a.status} data-severity={a.severity}>
                  <td>
                    <span className={`severity-badge ${a.severity}`}>{a.severity}</span>
                  </td>
                  <td>
                    <code>{a.kind}</code>
                    {a.rule_id === null && <span className="muted small"> (rule deleted)</span>}
                  </td>
                  <td data-testid="alert-subject">{subjectText(a.subject, names)}</td>
                  <td className="message">{a.message}</td>
                  <td className="small" title={a.fired_at}>{formatTime(a.fired_at)}</td>
                  <td className="small" title={a.resolved_at ?? undefined}>
                    {a.resolved_at ? formatTime(a.resolved_at) : <span className="badge">open</span>}
                  </td>
                  <td className="small">
                    {a.acknowledged_by ? (
                      <span data-testid="alert-acknowledged" title={a.acknowledged_at ?? undefined}>
                        {a.acknowledged_by}
                      </span>
                    ) : a.status === "open" ? (
                      <button type="button" onClick={() => void acknowledge(a)} data-testid="alert-row-acknowledge">
                        Acknowledge
                      </button>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && (data.next || data.previous) && (
        <div className="pager">
          <button type="button" disabled={!data.previous} onClick={() => setPage(page - 1)} data-testid="alerts-prev">
            Previous
          </button>
          <span className="muted small">
            Page {page} of {Math.max(1, Math.ceil(data.count / PAGE_SIZE))}
          </span>
          <button type="button" disabled={!data.next} onClick={() => setPage(page + 1)} data-testid="alerts-next">
            Next
          </button>
        </div>
      )}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Rules

type RuleEditing = { mode: "create" } | { mode: "edit"; rule: AlertRule } | null;

function RulesSection({ projectId, version, onChanged }: { projectId: number; version: number; onChanged: () => void }) {
  const kinds = useAsync(() => alerting.ruleKinds(projectId), [projectId]);
  const rules = useAsync(() => alerting.rules(projectId), [projectId, version]);
  const [editing, setEditing] = useState<RuleEditing>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [ruleRows, showRule] = useFreshRows(rules.data);

  const toggle = async (rule: AlertRule) => {
    setBusy(rule.id);
    setError(null);
    setSaved(null);
    try {
      showRule(await alerting.updateRule(projectId, rule.id, { enabled: !rule.enabled }));
      onChanged(); // disabling resolves the rule's open alerts
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };
  const remove = async (rule: AlertRule) => {
    setBusy(rule.id);
    setError(null);
    setSaved(null);
    try {
      await alerting.deleteRule(projectId, rule.id);
      setConfirming(null);
      if (editing?.mode === "edit" && editing.rule.id === rule.id) setEditing(null);
      setSaved(`Rule #${rule.id} deleted.`);
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  const kindSpecs = kinds.data ?? [];
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
      {error && (
        <p className="error" role="alert" data-testid="rules-error">
          {error}
        </p>
      )}
      {saved && (
        <p className="ok-text" role="status" data-testid="rules-saved">
          {saved}
        </p>
      )}
      {editing && kinds.data && (
        <RuleForm key={editing.mode === "edit" ? editing.rule.id : "new"} projectId={projectId} kinds={kindSpecs}
          rule={editing.mode === "edit" ? editing.rule : undefined} onCancel={() => setEditing(null)}
          onSaved={(rule, created) => {
            setEditing(null);
            showRule(rule);
            setSaved(`Rule #${rule.id} ${created ? "created" : "saved"}.`);
            onChanged();
          }} />
      )}
      {rules.data && rules.data.length === 0 && (
        <p className="muted" data-testid="rules-empty">
          No rules yet: nothing raises alerts.
        </p>
      )}
      {rules.data && rules.data.length > 0 && (
        <div className="table-wrap">
          <table className="compact data-table" data-testid="rules-table">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Severity</th>
                <th scope="col">Parameters</th>
                <th scope="col">Enabled</th>
                <th scope="col" className="num">Open alerts</th>
                <th scope="col">Last checked</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {ruleRows.map((rule) => (
                <tr key={rule.id} data-testid="rule-row" data-rule-id={rule.id} data-kind={rule.kind}
                  data-enabled={rule.enabled}>
                  <th scope="row">
                    <div>{rule.name || kindLabel(rule.kind)}</div>
                    <code className="small muted">{rule.kind}</code>
                  </th>
                  <td>
                    <span className={`severity-badge ${rule.severity}`}>{rule.severity}</span>
                  </td>
                  <td className="small" data-testid="rule-params">{paramsSummary(rule.params)}</td>
                  <td>
                    <label className="inline">
                      <input type="checkbox" checked={rule.enabled} disabled={busy === rule.id}
                        onChange={() => void toggle(rule)} data-testid="rule-enabled"
                        aria-label={`${rule.name || rule.kind} enabled`} />
                      {rule.enabled ? "on" : "off"}
                    </label>
                  </td>
                  <td className="num" data-testid="rule-open-alerts">{rule.open_alerts}</td>
                  <td className="small" title={rule.last_checked_at ?? undefined}>
                    {rule.last_checked_at ? formatTime(rule.last_checked_at) : "never"}
                  </td>
                  <td className="row-actions">
                    {confirming === rule.id ? (
                      <span className="confirm" role="group" aria-label="Confirm deletion">
                        <span className="small">
                          Delete?{rule.open_alerts > 0 && ` Its ${rule.open_alerts} open alert${rule.open_alerts === 1 ? "" : "s"} will be resolved.`}
                        </span>
                        <button type="button" className="danger" disabled={busy === rule.id}
                          onClick={() => void remove(rule)} data-testid="rule-delete-confirm">
                          Delete
                        </button>
                        <button type="button" onClick={() => setConfirming(null)} data-testid="rule-delete-cancel">
                          Keep
                        </button>
                      </span>
                    ) : (
                      <>
                        <button type="button" onClick={() => setEditing({ mode: "edit", rule })} data-testid="rule-edit">
                          Edit
                        </button>
                        <button type="button" onClick={() => setConfirming(rule.id)} data-testid="rule-delete">
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const RULE_FIELDS = new Set(["kind", "name", "severity", "enabled"]);

/** Server error paths by field: `params.threshold`, `kind`, `name`...; anything else goes to "" (the form). */
function placeRuleErrors(errors: Record<string, string[]> | undefined, kind: AlertRuleKindSpec): RuleErrors {
  const placed: RuleErrors = {};
  for (const [path, messages] of Object.entries(errors ?? {})) {
    const known = RULE_FIELDS.has(path) || (path.startsWith("params.") && path.slice(7) in kind.params);
    const key = known ? path : "";
    (placed[key] ??= []).push(...(known || !path || path === "non_field_errors" ? messages : messages.map((m) => `${path}: ${m}`)));
  }
  return placed;
}

function RuleForm({
  projectId,
  kinds,
  rule,
  onCancel,
  onSaved,
}: {
  projectId: number;
  kinds: AlertRuleKindSpec[];
  rule?: AlertRule;
  onCancel: () => void;
  onSaved: (rule: AlertRule, created: boolean) => void;
}) {
  const initialSpec = (rule && kinds.find((k) => k.kind === rule.kind)) || kinds[0];
  const [values, setValues] = useState<RuleFormValues>(() => ruleFormValues(initialSpec, rule));
  const [errors, setErrors] = useState<RuleErrors>({});
  const [detail, setDetail] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const spec = kinds.find((k) => k.kind === values.kind);
  if (!spec) {
    return (
      <p className="error" data-testid="rule-form-error">
        This server does not describe the rule kind {values.kind}.
      </p>
    );
  }

  const set = (patch: Partial<RuleFormValues>, clear: string) => {
    setValues((old) => ({ ...old, ...patch }));
    setErrors((old) => {
      if (!old[clear]) return old;
      const next = { ...old };
      delete next[clear];
      return next;
    });
  };
  const chooseKind = (kind: AlertRuleKind) => {
    const next = kinds.find((k) => k.kind === kind);
    if (!next) return;
    setValues((old) => ({ ...ruleFormValues(next), name: old.name, severity: old.severity, enabled: old.enabled }));
    setErrors({});
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setDetail(null);
    const built = rule ? rulePatch(values, spec, rule) : ruleCreateBody(values, spec);
    setErrors(built.errors);
    if (Object.keys(built.errors).length > 0) {
      setDetail("Some fields need attention.");
      return;
    }
    setBusy(true);
    try {
      if (rule) {
        const patch = (built as ReturnType<typeof rulePatch>).patch!;
        const saved = Object.keys(patch).length > 0 ? await alerting.updateRule(projectId, rule.id, patch) : rule;
        onSaved(saved, false);
      } else {
        onSaved(await alerting.createRule(projectId, (built as ReturnType<typeof ruleCreateBody>).body!), true);
      }
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(placeRuleErrors(err.body.errors, spec));
        setDetail(err.message);
      } else {
        setDetail(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  };

  const field = (name: string) => ({
    "aria-invalid": errors[name] ? true : undefined,
  });
  return (
    <form className="rule-form" onSubmit={save} noValidate data-testid="rule-form" data-mode={rule ? "edit" : "create"}
      data-kind={values.kind}>
      <h3>{rule ? `Edit rule #${rule.id}` : "New rule"}</h3>
      {detail && (
        <p className="error" role="alert" data-testid="rule-form-error">
          {detail}
        </p>
      )}
      <Errors id="rule-error-form" messages={errors[""]} testId="rule-error-other" />
      <div className="form-row">
        <div className={`field${errors.kind ? " invalid" : ""}`}>
          <label htmlFor="rule-kind">Kind</label>
          <select id="rule-kind" value={values.kind} disabled={!!rule} onChange={(e) => chooseKind(e.target.value as AlertRuleKind)}
            aria-describedby={errors.kind ? "rule-kind-error" : undefined} {...field("kind")} data-testid="rule-field-kind">
            {kinds.map((k) => (
              <option key={k.kind} value={k.kind}>
                {kindLabel(k.kind)}
              </option>
            ))}
          </select>
          {rule && <small className="muted">The kind of a rule cannot change; create a new rule instead.</small>}
          <Errors id="rule-kind-error" messages={errors.kind} testId="rule-error-kind" />
        </div>
        <div className={`field${errors.name ? " invalid" : ""}`}>
          <label htmlFor="rule-name">Name (optional)</label>
          <input id="rule-name" type="text" value={values.name} maxLength={200} placeholder={kindLabel(values.kind)}
            onChange={(e) => set({ name: e.target.value }, "name")} {...field("name")}
            aria-describedby={errors.name ? "rule-name-error" : undefined} data-testid="rule-field-name" />
          <Errors id="rule-name-error" messages={errors.name} testId="rule-error-name" />
        </div>
        <div className={`field${errors.severity ? " invalid" : ""}`}>
          <label htmlFor="rule-severity">Severity</label>
          <select id="rule-severity" value={values.severity}
            onChange={(e) => set({ severity: e.target.value as AlertSeverity }, "severity")} {...field("severity")}
            aria-describedby={errors.severity ? "rule-severity-error" : undefined} data-testid="rule-field-severity">
            <option value="warning">warning</option>
            <option value="critical">critical</option>
          </select>
          <Errors id="rule-severity-error" messages={errors.severity} testId="rule-error-severity" />
        </div>
        <label className="check">
          <input type="checkbox" checked={values.enabled} onChange={(e) => set({ enabled: e.target.checked }, "enabled")}
            data-testid="rule-field-enabled" />
          Enabled
        </label>
      </div>
      <fieldset className="rule-params">
        <legend>Parameters</legend>
        {Object.entries(spec.params).map(([name, p]) => {
          const key = `params.${name}`;
          const id = `rule-param-${name}`;
          const describedBy = [`${id}-hint`, errors[key] ? `${id}-error` : ""].filter(Boolean).join(" ");
          const common = {
            id,
            "aria-invalid": errors[key] ? true : undefined,
            "aria-describedby": describedBy,
            "data-testid": `rule-param-${name}`,
          };
          const value = values.params[name] ?? "";
          const change = (v: string) => set({ params: { ...values.params, [name]: v } }, key);
          return (
            <div key={name} className={`field${errors[key] ? " invalid" : ""}`}>
              <label htmlFor={id}>{paramLabel(name)}</label>
              {isChoiceParam(p) ? (
                <select {...common} value={value} onChange={(e) => change(e.target.value)}>
                  {p.choices!.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              ) : (
                <input {...common} type="number" step="any" min={p.min} max={p.max} value={value}
                  placeholder={String(p.default)} onChange={(e) => change(e.target.value)} />
              )}
              <small id={`${id}-hint`} className="muted" data-testid={`rule-param-hint-${name}`}>
                {paramHint(p)}
              </small>
              <Errors id={`${id}-error`} messages={errors[key]} testId={`rule-error-params.${name}`} />
            </div>
          );
        })}
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy} data-testid="rule-save">
          {busy ? "Saving…" : rule ? "Save rule" : "Create rule"}
        </button>
        <button type="button" onClick={onCancel} data-testid="rule-cancel">
          Cancel
        </button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Webhooks

const WEBHOOK_FIELDS = ["url", "name", "secret", "active"] as const;

function WebhooksSection({ projectId }: { projectId: number }) {
  const [version, setVersion] = useState(0);
  const hooks = useAsync(() => alerting.webhooks(projectId), [projectId, version]);
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");
  const [secret, setSecret] = useState("");
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [detail, setDetail] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [busy, setBusy] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [showing, setShowing] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hookRows, showHook] = useFreshRows(hooks.data);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setDetail(null);
    const own: Record<string, string[]> = {};
    if (!/^https?:\/\/\S+$/i.test(url.trim())) own.url = ["must be an http:// or https:// URL"];
    setErrors(own);
    if (Object.keys(own).length > 0) return;
    setSaving(true);
    try {
      await alerting.createWebhook(projectId, { url: url.trim(), name: name.trim(), secret, active: true });
      setUrl("");
      setName("");
      setSecret("");
      setVersion((v) => v + 1);
    } catch (err) {
      if (err instanceof ApiError) {
        const placed: Record<string, string[]> = {};
        for (const [path, messages] of Object.entries(err.body.errors ?? {})) {
          const key = (WEBHOOK_FIELDS as readonly string[]).includes(path) ? path : "";
          (placed[key] ??= []).push(...messages);
        }
        setErrors(placed);
        setDetail(err.message);
      } else {
        setDetail(errorMessage(err));
      }
    } finally {
      setSaving(false);
    }
  };
  const toggle = async (hook: Webhook) => {
    setBusy(hook.id);
    setError(null);
    try {
      showHook(await alerting.updateWebhook(projectId, hook.id, { active: !hook.active }));
      setVersion((v) => v + 1);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };
  const remove = async (hook: Webhook) => {
    setBusy(hook.id);
    setError(null);
    try {
      await alerting.deleteWebhook(projectId, hook.id);
      setConfirming(null);
      if (showing === hook.id) setShowing(null);
      setVersion((v) => v + 1);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" aria-labelledby="webhooks-title" data-testid="webhooks-section">
      <h2 id="webhooks-title">Webhooks</h2>
      <p className="muted small">
        Each new alert is POSTed as Slack-compatible JSON to every active webhook; with a secret, the body is signed
        (<code>X-AnnotationQC-Signature-256</code>). Failed deliveries are retried up to five times.
      </p>
      <form className="webhook-form form-row" onSubmit={create} noValidate data-testid="webhook-form">
        <div className={`field grow${errors.url ? " invalid" : ""}`}>
          <label htmlFor="webhook-url">URL</label>
          <input id="webhook-url" type="url" value={url} placeholder="https://hooks.example.com/…" required
            aria-invalid={errors.url ? true : undefined} aria-describedby={errors.url ? "webhook-url-error" : undefined}
            onChange={(e) => setUrl(e.target.value)} data-testid="webhook-field-url" />
          <Errors id="webhook-url-error" messages={errors.url} testId="webhook-error-url" />
        </div>
        <div className={`field${errors.name ? " invalid" : ""}`}>
          <label htmlFor="webhook-name">Name (optional)</label>
          <input id="webhook-name" type="text" value={name} maxLength={200} onChange={(e) => setName(e.target.value)}
            aria-invalid={errors.name ? true : undefined} data-testid="webhook-field-name" />
          <Errors id="webhook-name-error" messages={errors.name} testId="webhook-error-name" />
        </div>
        <div className={`field${errors.secret ? " invalid" : ""}`}>
          <label htmlFor="webhook-secret">Signing secret (optional)</label>
          <input id="webhook-secret" type="password" autoComplete="new-password" value={secret} maxLength={200}
            onChange={(e) => setSecret(e.target.value)} aria-invalid={errors.secret ? true : undefined}
            aria-describedby="webhook-secret-hint" data-testid="webhook-field-secret" />
          <small id="webhook-secret-hint" className="muted">
            Write-only: never shown again.
          </small>
          <Errors id="webhook-secret-error" messages={errors.secret} testId="webhook-error-secret" />
        </div>
        <button type="submit" className="primary" disabled={saving} data-testid="webhook-save">
          {saving ? "Adding…" : "Add webhook"}
        </button>
      </form>
      {detail && (
        <p className="error" role="alert" data-testid="webhook-form-error">
          {detail}
        </p>
      )}
      <Errors id="webhook-error-other" messages={errors[""] ?? errors.active} testId="webhook-error-other" />
      {error && (
        <p className="error" role="alert" data-testid="webhooks-error">
          {error}
        </p>
      )}
      {hooks.error && <p className="error">{hooks.error}</p>}
      {hooks.data && hooks.data.length === 0 && (
        <p className="muted" data-testid="webhooks-empty">
          No webhooks: alerts are shown here and on the dashboard only.
        </p>
      )}
      {hooks.data && hooks.data.length > 0 && (
        <div className="table-wrap">
          <table className="compact data-table" data-testid="webhooks-table">
            <thead>
              <tr>
                <th scope="col">Webhook</th>
                <th scope="col">URL</th>
                <th scope="col">Signed</th>
                <th scope="col">Active</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {hookRows.map((hook) => (
                <tr key={hook.id} data-testid="webhook-row" data-webhook-id={hook.id} data-active={hook.active}
                  data-has-secret={hook.has_secret}>
                  <th scope="row">{hook.name || `#${hook.id}`}</th>
                  <td className="url">
                    <code>{hook.url}</code>
                  </td>
                  <td data-testid="webhook-secret">{hook.has_secret ? "signed" : "unsigned"}</td>
                  <td>
                    <label className="inline">
                      <input type="checkbox" checked={hook.active} disabled={busy === hook.id}
                        onChange={() => void toggle(hook)} data-testid="webhook-active"
                        aria-label={`${hook.name || hook.url} active`} />
                      {hook.active ? "on" : "off"}
                    </label>
                  </td>
                  <td className="small" title={hook.created_at}>{formatTime(hook.created_at)}</td>
                  <td className="row-actions">
                    <button type="button" aria-expanded={showing === hook.id}
                      onClick={() => setShowing(showing === hook.id ? null : hook.id)} data-testid="webhook-deliveries">
                      Deliveries
                    </button>
                    {confirming === hook.id ? (
                      <span className="confirm" role="group" aria-label="Confirm deletion">
                        <span className="small">Delete?</span>
                        <button type="button" className="danger" disabled={busy === hook.id}
                          onClick={() => void remove(hook)} data-testid="webhook-delete-confirm">
                          Delete
                        </button>
                        <button type="button" onClick={() => setConfirming(null)} data-testid="webhook-delete-cancel">
                          Keep
                        </button>
                      </span>
                    ) : (
                      <button type="button" onClick={() => setConfirming(hook.id)} data-testid="webhook-delete">
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {showing !== null && (
        <Deliveries projectId={projectId} webhook={hooks.data?.find((h) => h.id === showing) ?? null} webhookId={showing} />
      )}
    </section>
  );
}

function Deliveries({ projectId, webhookId, webhook }: { projectId: number; webhookId: number; webhook: Webhook | null }) {
  const [page, setPage] = useState(1);
  const deliveries = useAsync(() => alerting.deliveries(projectId, webhookId, page), [projectId, webhookId, page]);
  const d = deliveries.data;
  return (
    <section className="deliveries" aria-labelledby="deliveries-title" data-testid="deliveries-panel" data-webhook-id={webhookId}>
      <div className="card-head">
        <h3 id="deliveries-title">Deliveries of {webhook?.name || `webhook #${webhookId}`}</h3>
        <button type="button" onClick={deliveries.reload} data-testid="deliveries-refresh">
          Refresh
        </button>
      </div>
      {deliveries.error && <p className="error">{deliveries.error}</p>}
      {d && d.results.length === 0 && (
        <p className="muted" data-testid="deliveries-empty">
          Nothing delivered yet.
        </p>
      )}
      {d && d.results.length > 0 && (
        <div className="table-wrap">
          <table className="compact data-table" data-testid="deliveries-table">
            <thead>
              <tr>
                <th scope="col">Attempted</th>
                <th scope="col" className="num">Alert</th>
                <th scope="col" className="num">Attempt</th>
                <th scope="col">Result</th>
                <th scope="col" className="num">Status</th>
                <th scope="col">Error</th>
                <th scope="col" className="num">Duration</th>
                <th scope="col">Retry</th>
              </tr>
            </thead>
            <tbody>
              {d.results.map((x) => (
                <tr key={x.id} data-testid="delivery-row" data-ok={x.ok} data-attempt={x.attempt} data-will-retry={x.will_retry}>
                  <td className="small" title={x.attempted_at}>{formatTime(x.attempted_at)}</td>
                  <td className="num">#{x.alert_id}</td>
                  <td className="num">{x.attempt}</td>
                  <td>{x.ok ? <span className="ok-text">ok</span> : <span className="error-text">failed</span>}</td>
                  <td className="num">{x.status_code ?? "—"}</td>
                  <td className="small" title={x.response_excerpt || undefined}>{x.error || "—"}</td>
                  <td className="num">{x.duration_ms} ms</td>
                  <td>{x.will_retry ? "will retry" : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {d && (d.next || d.previous) && (
        <div className="pager">
          <button type="button" disabled={!d.previous} onClick={() => setPage(page - 1)} data-testid="deliveries-prev">
            Newer
          </button>
          <span className="muted small">
            Page {page} of {Math.max(1, Math.ceil(d.count / PAGE_SIZE))}
          </span>
          <button type="button" disabled={!d.next} onClick={() => setPage(page + 1)} data-testid="deliveries-next">
            Older
          </button>
        </div>
      )}
    </section>
  );
}
