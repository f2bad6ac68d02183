// @vitest-environment jsdom
import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Me } from "../api/types";
import { annotatorMe, managerMe, memberOf, mlEngineerMe, renderAs } from "../test/session";
import { ManagerNav } from "./ManagerNav";

function tabsShownTo(me: Me, projectId = 2): string[] {
  const { container, unmount } = renderAs(me, <ManagerNav projectId={projectId} active="data" />);
  const tabs = Array.from(container.querySelectorAll("a")).map((a) => a.dataset.testid ?? "");
  unmount();
  return tabs;
}

const ALL = [
  "nav-dashboard",
  "nav-charts",
  "nav-scorecards",
  "nav-findings",
  "nav-review",
  "nav-reviews",
  "nav-suspects",
  "nav-data",
  "nav-alerts",
  "nav-setup",
  "nav-members",
  "nav-settings",
];

describe("ManagerNav", () => {
  it("shows a manager every tab, linking into the project and marking the page's own", () => {
    expect(tabsShownTo(managerMe)).toEqual(ALL);
    renderAs(managerMe, <ManagerNav projectId={2} active="data" />);
    expect(screen.getByTestId("nav-data").getAttribute("aria-current")).toBe("page");
    expect(screen.getByTestId("nav-settings").getAttribute("href")).toBe("/projects/2/settings");
  });

  it("shows an ML engineer only the dashboard and data tabs", () => {
    expect(tabsShownTo(mlEngineerMe)).toEqual(["nav-dashboard", "nav-charts", "nav-suspects", "nav-data"]);
  });

  it("shows an annotator no tabs at all", () => {
    expect(tabsShownTo(annotatorMe)).toEqual([]);
  });

  it("treats staff as managers where they are not members, and by their role where they are", () => {
    const staff: Me = { id: 1, username: "admin", is_staff: true, memberships: [] };
    expect(tabsShownTo(staff)).toEqual(ALL);
    const staffEngineer = memberOf("ml_engineer", { id: 1, username: "admin", is_staff: true });
    expect(tabsShownTo(staffEngineer)).toEqual(["nav-dashboard", "nav-charts", "nav-suspects", "nav-data"]);
    // Another project, where the staff engineer is no member: a manager there.
    expect(tabsShownTo(staffEngineer, 7)).toEqual(ALL);
  });
});
