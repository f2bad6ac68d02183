// @vitest-environment jsdom
// The routes: each project screen opens for the roles of its tab (manager/access.ts), others see "not allowed".
import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "./App";
import type { Me } from "./api/types";
import { fixtures } from "./test/fixtures";
import { mockFetch } from "./test/mockFetch";
import { annotatorMe, mlEngineerMe, resetApiAroundEachTest } from "./test/session";

const P = "/api/v1/projects/2";

resetApiAroundEachTest();
afterEach(() => window.history.replaceState(null, "", "/"));

function openAs(me: Me, path: string) {
  window.history.replaceState(null, "", path);
  const api = mockFetch({
    "GET /api/v1/auth/csrf/": { status: 204 },
    "GET /api/v1/auth/me/": { status: 200, body: me },
    [`GET ${P}/`]: { status: 200, body: { ...fixtures.projectBbox(), role: "ml_engineer" } },
    [`GET ${P}/exports/`]: { status: 200, body: fixtures.exports() },
    [`GET ${P}/imports/`]: { status: 200, body: fixtures.imports() },
  });
  render(<App />);
  return api;
}

describe("project routes by role", () => {
  it("opens the Data page to an ML engineer, with their tabs and no gold import", async () => {
    openAs(mlEngineerMe, "/projects/2/data");
    await screen.findByTestId("data-page");
    expect(screen.getByTestId("nav-data").getAttribute("aria-current")).toBe("page");
    expect(screen.getByTestId("nav-dashboard")).toBeTruthy();
    expect(screen.queryByTestId("nav-alerts")).toBeNull();
    const targets = Array.from((await screen.findByTestId("import-as") as HTMLSelectElement).options).map((o) => o.value);
    expect(targets).toEqual(["items", "predictions"]);
  });

  it("keeps the managers' screens from an ML engineer", async () => {
    const api = openAs(mlEngineerMe, "/projects/2/alerts");
    expect((await screen.findByTestId("not-allowed")).textContent).toContain("Managers only");
    expect(api.callsTo(`GET ${P}/alerts/`)).toHaveLength(0);
  });

  it("keeps the Data page from an annotator, saying whom it is for", async () => {
    openAs(annotatorMe, "/projects/2/data");
    const page = await screen.findByTestId("not-allowed");
    expect(page.textContent).toContain("Managers and ML engineers only");
    expect(page.textContent).toContain("This page is for the project's managers and ML engineers.");
  });
});
