// Signed-in users of the demo shapes project (id 2) and rendering a page as one of them, for the component tests.
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, vi } from "vitest";
import { resetCsrf } from "../api";
import type { Me, Role } from "../api/types";
import { AuthContext } from "../auth";

const SHAPES = { project_id: 2, project_name: "Demo: shapes", project_kind: "bbox" } as const;

/** A user whose only membership is the shapes project, in `role`. */
export function memberOf(role: Role, user: { id: number; username: string; is_staff?: boolean }): Me {
  return { is_staff: false, ...user, memberships: [{ ...SHAPES, role }] };
}

export const managerMe = memberOf("manager", { id: 2, username: "manager" });
export const mlEngineerMe = memberOf("ml_engineer", { id: 6, username: "mlteam" });
export const annotatorMe = memberOf("annotator", { id: 3, username: "annotator1" });

export function renderAs(me: Me, ui: ReactNode) {
  return render(<AuthContext.Provider value={{ me, setMe: () => undefined }}>{ui}</AuthContext.Provider>);
}

/** Each test starts with no CSRF token fetched yet (a csrftoken cookie set) and ends with the real fetch back. */
export function resetApiAroundEachTest() {
  beforeEach(() => {
    resetCsrf();
    document.cookie = "csrftoken=abc";
  });
  afterEach(() => vi.unstubAllGlobals());
}
