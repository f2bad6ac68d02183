import { describe, expect, it } from "vitest";
import type { Webhook } from "../api/types";
import { placeWebhookErrors, webhookFormValues, webhookPatch } from "./webhooks";

const signed: Webhook = {
  id: 1,
  name: "Team channel",
  url: "https://hooks.example.com/a",
  active: true,
  has_secret: true,
  created_at: "2026-11-25T09:33:56Z",
};

describe("webhookPatch", () => {
  it("starts from the webhook with an empty secret, and sends nothing when nothing changed", () => {
    const values = webhookFormValues(signed);
    expect(values).toEqual({ url: signed.url, name: signed.name, secret: "", removeSecret: false });
    expect(webhookPatch(values, signed)).toEqual({ patch: {}, errors: {} });
    expect(webhookPatch({ ...values, url: ` ${signed.url} `, name: `${signed.name} ` }, signed).patch).toEqual({});
  });

  it("sends only the changed fields, trimmed; a typed secret as it is", () => {
    const values = webhookFormValues(signed);
    expect(webhookPatch({ ...values, url: " https://hooks.example.com/b " }, signed).patch).toEqual({
      url: "https://hooks.example.com/b",
    });
    expect(webhookPatch({ ...values, name: "" }, signed).patch).toEqual({ name: "" });
    expect(webhookPatch({ ...values, secret: " s3 " }, signed).patch).toEqual({ secret: " s3 " });
  });

  it("removing the secret sends it empty (and wins over a typed one); an unsigned webhook has none to remove", () => {
    const values = { ...webhookFormValues(signed), secret: "typed", removeSecret: true };
    expect(webhookPatch(values, signed).patch).toEqual({ secret: "" });
    expect(webhookPatch(values, { ...signed, has_secret: false }).patch).toEqual({});
  });

  it("checks the URL itself before anything is sent", () => {
    const result = webhookPatch({ ...webhookFormValues(signed), url: "ftp://example.org/x", name: "x" }, signed);
    expect(result).toEqual({ patch: {}, errors: { url: ["must be an http:// or https:// URL"] } });
  });
});

describe("placeWebhookErrors", () => {
  it("puts each error under its field, others under the form", () => {
    expect(placeWebhookErrors({ url: ["bad"], secret: ["long"], body: ["JSON parse error"] })).toEqual({
      url: ["bad"],
      secret: ["long"],
      "": ["JSON parse error"],
    });
  });
});
