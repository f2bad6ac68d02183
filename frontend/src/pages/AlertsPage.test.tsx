// @vitest-environment jsdom
// The Alerts page against responses captured from the real back end (frontend/scripts/capture_data_fixtures.py).
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fixtures } from "../test/fixtures";
import { mockFetch, type Route } from "../test/mockFetch";
import { managerMe, renderAs, resetApiAroundEachTest } from "../test/session";
import { AlertsScreen } from "./AlertsPage";

const P = "/api/v1/projects/2";

function renderAlerts() {
  return renderAs(managerMe, <AlertsScreen project={fixtures.projectBbox()} />);
}

function mockAlertsApi(extra: Record<string, Route> = {}) {
  return mockFetch({
    "GET /api/v1/auth/csrf/": { status: 204 },
    [`GET ${P}/members/`]: { status: 200, body: fixtures.members() },
    [`GET ${P}/alerts/`]: { status: 200, body: fixtures.alertsAll() },
    [`GET ${P}/alert-rules/`]: { status: 200, body: fixtures.alertRules() },
    [`GET ${P}/alert-rules/kinds/`]: { status: 200, body: fixtures.alertRuleKinds() },
    [`GET ${P}/webhooks/`]: { status: 200, body: fixtures.webhooks() },
    ...extra,
  });
}

function change(el: HTMLElement, value: string) {
  fireEvent.change(el, { target: { value } });
}

resetApiAroundEachTest();

describe("AlertsPage alerts", () => {
  it("lists alerts with severity, subject, message and times; filters by status; acknowledges an open one", async () => {
    const page = fixtures.alertsAll();
    // The captured open alert was acknowledged already; a second open one is not (an annotator's).
    const fresh = { ...page.results[0], id: 9, subject: "annotator:5", acknowledged_by: null, acknowledged_at: null };
    page.results.unshift(fresh);
    page.count += 1;
    const api = mockAlertsApi({
      [`GET ${P}/alerts/`]: { status: 200, body: page },
      [`POST ${P}/alerts/9/acknowledge/`]: {
        status: 200,
        body: { ...fresh, acknowledged_by: "manager", acknowledged_at: "2026-11-25T10:00:00Z" },
      },
    });
    renderAlerts();
    const rows = await screen.findAllByTestId("alert-row");
    expect(rows.map((r) => [r.dataset.alertId, r.dataset.status, r.dataset.severity])).toEqual(
      page.results.map((a) => [String(a.id), a.status, a.severity]),
    );
    expect(rows[1].textContent).toContain(page.results[1].message);
    await waitFor(() => expect(within(rows[0]).getByTestId("alert-subject").textContent).toBe("annotator3"));
    expect(within(rows[1]).getByTestId("alert-subject").textContent).toBe("project");
    // Acknowledged already, or resolved: no button.
    expect(within(rows[1]).getByTestId("alert-acknowledged").textContent).toBe("manager");
    expect(within(rows[2]).queryByTestId("alert-row-acknowledge")).toBeNull();
    expect(within(rows[2]).queryByText("open", { selector: ".badge" })).toBeNull();
    expect(within(rows[1]).queryByText("open", { selector: ".badge" })).toBeTruthy();
    expect(rows[2].querySelector(`[title="${page.results[2].resolved_at}"]`)).toBeTruthy();

    fireEvent.click(within(rows[0]).getByTestId("alert-row-acknowledge"));
    await waitFor(() => expect(within(screen.getAllByTestId("alert-row")[0]).getByTestId("alert-acknowledged").textContent).toBe("manager"));
    expect(api.callsTo(`POST ${P}/alerts/9/acknowledge/`)).toHaveLength(1);

    expect(api.callsTo(`GET ${P}/alerts/`)[0].query.get("status")).toBe("all");
    change(screen.getByTestId("alerts-filter-status"), "open");
    await waitFor(() => expect(api.callsTo(`GET ${P}/alerts/`).at(-1)?.query.get("status")).toBe("open"));
  });

  it("checks now: reports fired and resolved counts and reloads the alerts and the rules", async () => {
    const api = mockAlertsApi({ [`POST ${P}/alerts/check/`]: { status: 200, body: fixtures.alertsCheck() } });
    renderAlerts();
    await screen.findAllByTestId("alert-row");
    await screen.findAllByTestId("rule-row");
    const before = { alerts: api.callsTo(`GET ${P}/alerts/`).length, rules: api.callsTo(`GET ${P}/alert-rules/`).length };
    fireEvent.click(screen.getByTestId("alerts-check"));
    const result = await screen.findByTestId("alerts-check-result");
    const check = fixtures.alertsCheck();
    expect(result.textContent).toBe(
      `Checked ${check.rules} rules: ${check.fired.length} fired, ${check.resolved} resolved, ${check.open} open.`,
    );
    expect(result.dataset.fired).toBe(String(check.fired.length));
    await waitFor(() => expect(api.callsTo(`GET ${P}/alerts/`).length).toBe(before.alerts + 1));
    await waitFor(() => expect(api.callsTo(`GET ${P}/alert-rules/`).length).toBe(before.rules + 1));
  });

  it("names the rules that could not be checked", async () => {
    mockAlertsApi({
      [`POST ${P}/alerts/check/`]: {
        status: 200,
        body: { ...fixtures.alertsCheckResolved(), failed: { "3": "ValueError: no agreement report" } },
      },
    });
    renderAlerts();
    await screen.findAllByTestId("alert-row");
    fireEvent.click(screen.getByTestId("alerts-check"));
    const result = await screen.findByTestId("alerts-check-result");
    expect(result.textContent).toContain("0 fired, 1 resolved, 1 open, 1 could not be checked.");
    expect(within(result).getByTestId("alerts-check-failed").textContent).toBe("Rule #3: ValueError: no agreement report");
  });
});

describe("AlertsPage rules", () => {
  it("lists rules with their kind, parameters, open alerts and last check; the toggle PATCHes enabled", async () => {
    const rules = fixtures.alertRules();
    const api = mockAlertsApi({
      [`PATCH ${P}/alert-rules/1/`]: { status: 200, body: { ...rules[0], enabled: false, open_alerts: 0 } },
    });
    renderAlerts();
    const rows = await screen.findAllByTestId("rule-row");
    expect(rows.map((r) => [r.dataset.kind, r.dataset.enabled])).toEqual(rules.map((r) => [r.kind, String(r.enabled)]));
    expect(within(rows[0]).getByTestId("rule-params").textContent).toBe("threshold 0.95 · statistic point · min items 1");
    expect(within(rows[0]).getByTestId("rule-open-alerts").textContent).toBe("1");
    expect(rows[2].textContent).toContain("never");
    fireEvent.click(within(rows[0]).getByTestId("rule-enabled"));
    await waitFor(() => expect(screen.getAllByTestId("rule-row")[0].dataset.enabled).toBe("false"));
    expect(api.callsTo(`PATCH ${P}/alert-rules/1/`)[0].body).toEqual({ enabled: false });
  });

  it("creates a queue_dry rule from the kinds' description, with each parameter's hint", async () => {
    const created = fixtures.alertRuleCreate();
    const api = mockAlertsApi({ [`POST ${P}/alert-rules/`]: { status: 201, body: created } });
    renderAlerts();
    await screen.findAllByTestId("rule-row");
    fireEvent.click(screen.getByTestId("rule-new"));
    const form = await screen.findByTestId("rule-form");
    expect(form.dataset.mode).toBe("create");
    const kinds = fixtures.alertRuleKinds();
    const kindSelect = within(form).getByTestId("rule-field-kind") as HTMLSelectElement;
    expect(Array.from(kindSelect.options).map((o) => o.value)).toEqual(kinds.map((k) => k.kind));
    change(kindSelect, "queue_dry");
    const slots = within(form).getByTestId("rule-param-max_open_slots");
    expect(slots).toHaveProperty("value", "0");
    expect(within(form).getByTestId("rule-param-min_annotators")).toHaveProperty("value", "1");
    expect(within(form).queryByTestId("rule-param-threshold")).toBeNull();
    const hint = within(form).getByTestId("rule-param-hint-max_open_slots");
    expect(hint.textContent).toBe(
      "Alert when the open slots of regular items fall to this many or fewer. Default 0; at least 0 and at most 10000000.",
    );
    expect(slots.getAttribute("aria-describedby")).toBe(hint.id);

    change(within(form).getByTestId("rule-field-name"), "Queue running low");
    change(slots, "100000");
    fireEvent.click(within(form).getByTestId("rule-save"));
    await waitFor(() => expect(screen.queryByTestId("rule-form")).toBeNull());
    expect(api.callsTo(`POST ${P}/alert-rules/`)[0].body).toEqual({
      kind: "queue_dry",
      name: "Queue running low",
      severity: "warning",
      enabled: true,
      params: { max_open_slots: 100000, min_annotators: 1 },
    });
    expect(screen.getByTestId("rules-saved").textContent).toBe(`Rule #${created.id} created.`);
  });

  it("checks a parameter's range itself, and shows the server's 400 next to the parameter", async () => {
    const api = mockAlertsApi({ [`POST ${P}/alert-rules/`]: { status: 400, body: fixtures.alertRule400Whole() } });
    renderAlerts();
    await screen.findAllByTestId("rule-row");
    fireEvent.click(screen.getByTestId("rule-new"));
    const form = await screen.findByTestId("rule-form");
    change(within(form).getByTestId("rule-field-kind"), "agreement_below");
    change(within(form).getByTestId("rule-param-threshold"), "1.5");
    fireEvent.click(within(form).getByTestId("rule-save"));
    expect((await within(form).findByTestId("rule-error-params.threshold")).textContent).toBe("must be at most 1");
    expect(within(form).getByTestId("rule-param-threshold").getAttribute("aria-invalid")).toBe("true");
    expect(api.callsTo(`POST ${P}/alert-rules/`)).toHaveLength(0);

    // Whole numbers are the server's to check: its message lands on the field.
    change(within(form).getByTestId("rule-param-threshold"), "0.5");
    expect(within(form).queryByTestId("rule-error-params.threshold")).toBeNull();
    change(within(form).getByTestId("rule-param-min_items"), "2.5");
    fireEvent.click(within(form).getByTestId("rule-save"));
    expect((await within(form).findByTestId("rule-error-params.min_items")).textContent).toBe("must be a whole number, got 2.5");
    expect(within(form).getByTestId("rule-form-error").textContent).toBe(fixtures.alertRule400Whole().detail);
    expect(api.callsTo(`POST ${P}/alert-rules/`)[0].body).toMatchObject({
      kind: "agreement_below",
      params: { threshold: 0.5, statistic: "point", min_items: 2.5 },
    });
  });

  it("edits a rule with a PATCH of only what changed; the kind cannot change", async () => {
    const rules = fixtures.alertRules();
    const api = mockAlertsApi({
      [`PATCH ${P}/alert-rules/1/`]: {
        status: 200,
        body: { ...rules[0], name: "Alpha watch", params: { ...rules[0].params, threshold: 0.8 } },
      },
    });
    renderAlerts();
    const rows = await screen.findAllByTestId("rule-row");
    fireEvent.click(within(rows[0]).getByTestId("rule-edit"));
    const form = await screen.findByTestId("rule-form");
    expect(form.dataset.mode).toBe("edit");
    expect(within(form).getByTestId("rule-field-kind")).toHaveProperty("disabled", true);
    expect(within(form).getByTestId("rule-param-threshold")).toHaveProperty("value", "0.95");
    change(within(form).getByTestId("rule-param-threshold"), "0.8");
    change(within(form).getByTestId("rule-field-name"), "Alpha watch");
    fireEvent.click(within(form).getByTestId("rule-save"));
    await waitFor(() => expect(screen.queryByTestId("rule-form")).toBeNull());
    expect(api.callsTo(`PATCH ${P}/alert-rules/1/`)[0].body).toEqual({ name: "Alpha watch", params: { threshold: 0.8 } });
    expect(within(screen.getAllByTestId("rule-row")[0]).getByTestId("rule-params").textContent).toContain("threshold 0.8");
  });

  it("deletes a rule only after confirmation", async () => {
    const rules = fixtures.alertRules();
    let deleted = false;
    const api = mockAlertsApi({
      [`GET ${P}/alert-rules/`]: () => ({ status: 200, body: deleted ? rules.slice(1) : rules }),
      [`DELETE ${P}/alert-rules/1/`]: () => {
        deleted = true;
        return { status: 204 };
      },
    });
    renderAlerts();
    let rows = await screen.findAllByTestId("rule-row");
    fireEvent.click(within(rows[0]).getByTestId("rule-delete"));
    expect(rows[0].textContent).toContain("Its 1 open alert will be resolved.");
    fireEvent.click(within(rows[0]).getByTestId("rule-delete-cancel"));
    expect(api.callsTo(`DELETE ${P}/alert-rules/1/`)).toHaveLength(0);
    fireEvent.click(within(rows[0]).getByTestId("rule-delete"));
    fireEvent.click(within(rows[0]).getByTestId("rule-delete-confirm"));
    await waitFor(() => expect(screen.getAllByTestId("rule-row")).toHaveLength(rules.length - 1));
    rows = screen.getAllByTestId("rule-row");
    expect(rows.map((r) => r.dataset.ruleId)).toEqual(rules.slice(1).map((r) => String(r.id)));
    expect(api.callsTo(`DELETE ${P}/alert-rules/1/`)).toHaveLength(1);
  });
});

describe("AlertsPage webhooks", () => {
  it("lists webhooks (the secret only as signed or not) and creates one; the secret is sent once and cleared", async () => {
    const hooks = fixtures.webhooks();
    let created = false;
    const api = mockAlertsApi({
      [`GET ${P}/webhooks/`]: () => ({ status: 200, body: created ? hooks : hooks.slice(0, 1) }),
      [`POST ${P}/webhooks/`]: () => {
        created = true;
        return { status: 201, body: fixtures.webhookCreate() };
      },
    });
    renderAlerts();
    const [row] = await screen.findAllByTestId("webhook-row");
    expect(within(row).getByTestId("webhook-secret").textContent).toBe("signed");
    expect(row.textContent).not.toContain("s3cret");

    change(screen.getByTestId("webhook-field-url"), "ftp://example.org/hook");
    fireEvent.click(screen.getByTestId("webhook-save"));
    expect((await screen.findByTestId("webhook-error-url")).textContent).toBe("must be an http:// or https:// URL");
    expect(api.callsTo(`POST ${P}/webhooks/`)).toHaveLength(0);

    const create = fixtures.webhookCreate();
    change(screen.getByTestId("webhook-field-url"), create.url);
    change(screen.getByTestId("webhook-field-name"), create.name);
    change(screen.getByTestId("webhook-field-secret"), "hunter2");
    expect(screen.getByTestId("webhook-field-secret").getAttribute("type")).toBe("password");
    fireEvent.click(screen.getByTestId("webhook-save"));
    await waitFor(() => expect(screen.getAllByTestId("webhook-row")).toHaveLength(2));
    expect(api.callsTo(`POST ${P}/webhooks/`)[0].body).toEqual({
      url: create.url,
      name: create.name,
      secret: "hunter2",
      active: true,
    });
    expect(screen.getByTestId("webhook-field-secret")).toHaveProperty("value", "");
    expect(within(screen.getAllByTestId("webhook-row")[1]).getByTestId("webhook-secret").textContent).toBe("unsigned");
  });

  it("shows a signed webhook's successful deliveries", async () => {
    const [signed] = fixtures.webhooks();
    const ok = fixtures.webhookDeliveriesOk();
    const api = mockAlertsApi({ [`GET ${P}/webhooks/${signed.id}/deliveries/`]: { status: 200, body: ok } });
    renderAlerts();
    const [row] = await screen.findAllByTestId("webhook-row");
    fireEvent.click(within(row).getByTestId("webhook-deliveries"));
    const panel = await screen.findByTestId("deliveries-panel");
    expect(panel.dataset.webhookId).toBe(String(signed.id));
    const rows = await within(panel).findAllByTestId("delivery-row");
    expect(rows.map((r) => r.dataset.ok)).toEqual(ok.results.map(() => "true"));
    expect(rows[0].textContent).toContain(`#${ok.results[0].alert_id}`);
    expect(rows[0].textContent).toContain("200");
    expect(within(panel).getByText(`Deliveries of ${signed.name}`)).toBeTruthy();
    fireEvent.click(within(panel).getByTestId("deliveries-refresh"));
    await waitFor(() => expect(api.callsTo(`GET ${P}/webhooks/${signed.id}/deliveries/`)).toHaveLength(2));
    expect(api.callsTo(`GET ${P}/webhooks/${signed.id}/deliveries/`)[0].query.get("page")).toBe("1");
  });

  it("shows the server's 400 on the URL field", async () => {
    mockAlertsApi({ [`POST ${P}/webhooks/`]: { status: 400, body: fixtures.webhook400Url() } });
    renderAlerts();
    await screen.findAllByTestId("webhook-row");
    change(screen.getByTestId("webhook-field-url"), "http://intranet/hook");
    fireEvent.click(screen.getByTestId("webhook-save"));
    expect((await screen.findByTestId("webhook-error-url")).textContent).toBe("Enter a valid URL.");
    expect(screen.getByTestId("webhook-form-error").textContent).toBe("url: Enter a valid URL.");
    expect(screen.getByTestId("webhook-field-url")).toHaveProperty("value", "http://intranet/hook");
  });

  it("toggles a webhook, shows its deliveries and deletes it after confirmation", async () => {
    const hooks = fixtures.webhooks();
    const failing = hooks.find((h) => !h.has_secret)!;
    const deliveries = fixtures.webhookDeliveriesFailing();
    let deleted = false;
    const api = mockAlertsApi({
      [`GET ${P}/webhooks/`]: () => ({ status: 200, body: deleted ? hooks.filter((h) => h !== failing) : hooks }),
      [`PATCH ${P}/webhooks/${failing.id}/`]: { status: 200, body: { ...failing, active: false } },
      [`GET ${P}/webhooks/${failing.id}/deliveries/`]: { status: 200, body: deliveries },
      [`DELETE ${P}/webhooks/${failing.id}/`]: () => {
        deleted = true;
        return { status: 204 };
      },
    });
    renderAlerts();
    await screen.findAllByTestId("webhook-row");
    const row = () => screen.getAllByTestId("webhook-row").find((r) => r.dataset.webhookId === String(failing.id))!;
    fireEvent.click(within(row()).getByTestId("webhook-active"));
    await waitFor(() => expect(row().dataset.active).toBe("false"));
    expect(api.callsTo(`PATCH ${P}/webhooks/${failing.id}/`)[0].body).toEqual({ active: false });

    fireEvent.click(within(row()).getByTestId("webhook-deliveries"));
    const panel = await screen.findByTestId("deliveries-panel");
    const rows = await within(panel).findAllByTestId("delivery-row");
    expect(rows).toHaveLength(deliveries.results.length);
    expect(rows.map((r) => [r.dataset.attempt, r.dataset.ok, r.dataset.willRetry])).toEqual(
      deliveries.results.map((d) => [String(d.attempt), String(d.ok), String(d.will_retry)]),
    );
    expect(rows[0].textContent).toContain(deliveries.results[0].error);
    expect(rows[1].textContent).toContain("will retry");

    fireEvent.click(within(row()).getByTestId("webhook-delete"));
    fireEvent.click(within(row()).getByTestId("webhook-delete-confirm"));
    await waitFor(() => expect(screen.getAllByTestId("webhook-row")).toHaveLength(hooks.length - 1));
    expect(api.callsTo(`DELETE ${P}/webhooks/${failing.id}/`)).toHaveLength(1);
    expect(screen.queryByTestId("deliveries-panel")).toBeNull();
  });
});
