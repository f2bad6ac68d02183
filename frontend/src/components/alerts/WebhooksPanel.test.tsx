// @vitest-environment jsdom
// Editing a webhook in the Webhooks panel: a PATCH of only what changed, the write-only secret, the server's 400.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Webhook } from "../../api/types";
import { fixtures } from "../../test/fixtures";
import { mockFetch, type Route } from "../../test/mockFetch";
import { resetApiAroundEachTest } from "../../test/session";
import { WebhooksPanel } from "./WebhooksPanel";

const P = "/api/v1/projects/2";
const hooks = fixtures.webhooks();
const signed = hooks.find((h) => h.has_secret)!;
const unsigned = hooks.find((h) => !h.has_secret)!;

/** The webhooks list, which returns what the PATCHes made of them. */
function mockWebhooksApi(patch: Route) {
  let current: Webhook[] = fixtures.webhooks();
  return mockFetch({
    "GET /api/v1/auth/csrf/": { status: 204 },
    [`GET ${P}/webhooks/`]: () => ({ status: 200, body: current }),
    [`PATCH ${P}/webhooks/${signed.id}/`]: (call) => {
      const reply = typeof patch === "function" ? patch(call) : patch;
      if (reply.status === 200) current = current.map((h) => (h.id === signed.id ? (reply.body as Webhook) : h));
      return reply;
    },
  });
}

const row = (hook: Webhook) => screen.getAllByTestId("webhook-row").find((r) => r.dataset.webhookId === String(hook.id))!;
const form = () => screen.getByTestId("webhook-form");
const field = (name: string) => within(form()).getByTestId(`webhook-field-${name}`) as HTMLInputElement;
const change = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });

async function startEditing(hook: Webhook) {
  await screen.findAllByTestId("webhook-row");
  fireEvent.click(within(row(hook)).getByTestId("webhook-edit"));
  await waitFor(() => expect(form().dataset.mode).toBe("edit"));
}

resetApiAroundEachTest();

describe("WebhooksPanel editing", () => {
  it("PATCHes only the changed URL and name, then shows the row as the server returned it", async () => {
    const api = mockWebhooksApi((call) => ({ status: 200, body: { ...signed, ...(call.body as object) } }));
    render(<WebhooksPanel projectId={2} />);
    await startEditing(signed);
    expect(screen.getAllByTestId("webhook-form")).toHaveLength(1); // in place of the form that adds one
    expect(form().dataset.webhookId).toBe(String(signed.id));
    expect(field("url").value).toBe(signed.url);
    expect(field("name").value).toBe(signed.name);
    expect(field("secret").value).toBe("");
    expect(document.activeElement).toBe(field("url"));
    expect(within(row(signed)).getByTestId("webhook-edit")).toHaveProperty("disabled", true);

    change(field("url"), "https://hooks.example.com/team ");
    change(field("name"), "Team alerts");
    fireEvent.click(within(form()).getByTestId("webhook-save"));
    await waitFor(() => expect(form().dataset.mode).toBe("create"));
    expect(api.callsTo(`PATCH ${P}/webhooks/${signed.id}/`).map((c) => c.body)).toEqual([
      { url: "https://hooks.example.com/team", name: "Team alerts" },
    ]);
    expect(row(signed).textContent).toContain("Team alerts");
    expect(row(signed).textContent).toContain("https://hooks.example.com/team");
    expect(row(signed).dataset.hasSecret).toBe("true");
    expect(screen.getByTestId("webhooks-saved").textContent).toBe("Webhook Team alerts saved.");
    await waitFor(() => expect(api.callsTo(`GET ${P}/webhooks/`)).toHaveLength(2));
    expect(field("url").value).toBe(""); // the form that adds one is back, empty
  });

  it("keeps the secret when its field is empty, sends a new one, and removes it only when asked", async () => {
    const api = mockWebhooksApi((call) => {
      const body = call.body as { secret?: string };
      return { status: 200, body: { ...signed, has_secret: body.secret !== "" } };
    });
    const patches = () => api.callsTo(`PATCH ${P}/webhooks/${signed.id}/`).map((c) => c.body);
    render(<WebhooksPanel projectId={2} />);
    await startEditing(unsigned);
    expect(within(form()).queryByTestId("webhook-remove-secret")).toBeNull(); // nothing to remove
    fireEvent.click(within(form()).getByTestId("webhook-cancel"));
    expect(form().dataset.mode).toBe("create");

    await startEditing(signed);
    fireEvent.click(within(form()).getByTestId("webhook-save")); // nothing changed: nothing sent
    await waitFor(() => expect(form().dataset.mode).toBe("create"));
    expect(patches()).toEqual([]);

    await startEditing(signed);
    change(field("secret"), "n3w-secret");
    fireEvent.click(within(form()).getByTestId("webhook-save"));
    await waitFor(() => expect(patches()).toEqual([{ secret: "n3w-secret" }]));
    await waitFor(() => expect(form().dataset.mode).toBe("create"));

    await startEditing(signed);
    change(field("secret"), "typed");
    fireEvent.click(within(form()).getByTestId("webhook-remove-secret"));
    expect(field("secret").disabled).toBe(true);
    expect(field("secret").value).toBe("");
    fireEvent.click(within(form()).getByTestId("webhook-save"));
    await waitFor(() => expect(patches()).toHaveLength(2));
    expect(patches()[1]).toEqual({ secret: "" });
    await waitFor(() => expect(row(signed).dataset.hasSecret).toBe("false"));
    expect(within(row(signed)).getByTestId("webhook-secret").textContent).toBe("unsigned");
  });

  it("shows the server's 400 under the field it names and keeps the form as typed", async () => {
    // What url_check (annotation_qc/alerts/services/webhooks.py) answers for a literal internal address when
    // private targets are not allowed (production settings).
    const refused = {
      detail: "Webhooks may not target internal addresses.",
      errors: { url: ["127.0.0.1 is not a public address: use a public URL"] },
    };
    const api = mockWebhooksApi({ status: 400, body: refused });
    render(<WebhooksPanel projectId={2} />);
    await startEditing(signed);

    change(field("url"), "ftp://example.org/hook"); // the form's own check: nothing is sent
    fireEvent.click(within(form()).getByTestId("webhook-save"));
    expect((await screen.findByTestId("webhook-error-url")).textContent).toBe("must be an http:// or https:// URL");
    expect(api.callsTo(`PATCH ${P}/webhooks/${signed.id}/`)).toHaveLength(0);

    change(field("url"), "http://127.0.0.1/hook");
    expect(screen.queryByTestId("webhook-error-url")).toBeNull(); // changing the field clears its error
    fireEvent.click(within(form()).getByTestId("webhook-save"));
    expect((await screen.findByTestId("webhook-error-url")).textContent).toBe(refused.errors.url[0]);
    expect(field("url").getAttribute("aria-invalid")).toBe("true");
    expect(field("url").getAttribute("aria-describedby")).toBe("webhook-url-error");
    expect(screen.getByTestId("webhook-form-error").textContent).toBe(refused.detail);
    expect(api.callsTo(`PATCH ${P}/webhooks/${signed.id}/`).map((c) => c.body)).toEqual([{ url: "http://127.0.0.1/hook" }]);
    expect(form().dataset.mode).toBe("edit");
    expect(field("url").value).toBe("http://127.0.0.1/hook");
    expect(row(signed).textContent).toContain(signed.url);
    expect(screen.queryByTestId("webhooks-saved")).toBeNull();
  });
});
