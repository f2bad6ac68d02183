import { describe, expect, it } from "vitest";
import { canOpen, MANAGER_TABS, rolesText, tabsFor } from "./access";

describe("tabs by role (the back end's allowed_roles)", () => {
  it("gives managers every tab, in order", () => {
    expect(tabsFor("manager").map((t) => t.tab)).toEqual([
      "dashboard",
      "charts",
      "scorecards",
      "findings",
      "review",
      "reviews",
      "suspects",
      "data",
      "alerts",
      "setup",
      "members",
      "settings",
    ]);
  });

  it("gives reviewers the review workspace only", () => {
    expect(tabsFor("reviewer").map((t) => t.tab)).toEqual(["reviews"]);
    expect(canOpen("reviewer", "suspects")).toBe(false);
    expect(canOpen("annotator", "reviews")).toBe(false);
  });

  it("gives ML engineers the dashboard (progress, queue, agreement) and data in and out", () => {
    expect(tabsFor("ml_engineer").map((t) => t.tab)).toEqual(["dashboard", "charts", "suspects", "data"]);
    for (const tab of ["scorecards", "findings", "review", "alerts", "settings"] as const) {
      expect(canOpen("ml_engineer", tab)).toBe(false);
    }
  });

  it("gives annotators and outsiders no tab", () => {
    expect(tabsFor("annotator")).toEqual([]);
    expect(tabsFor(null)).toEqual([]);
    expect(MANAGER_TABS.some((t) => canOpen(null, t.tab))).toBe(false);
  });

  it("names who a screen is for", () => {
    expect(rolesText(["manager"])).toBe("managers");
    expect(rolesText(["manager", "ml_engineer"])).toBe("managers and ML engineers");
  });
});
