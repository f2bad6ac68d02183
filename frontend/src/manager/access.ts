// Which project screens each role may open, as the back end's `allowed_roles` decide (annotation_qc/*/apis.py):
// a tab is offered to the roles its endpoints admit. Staff who are not members count as managers
// (annotation_qc/projects/permissions.py project_access); a member's own role wins.
import type { Role } from "../api/types";

export type ManagerTab =
  | "dashboard"
  | "charts"
  | "scorecards"
  | "findings"
  | "review"
  | "reviews"
  | "suspects"
  | "data"
  | "alerts"
  | "setup"
  | "members"
  | "settings";

export interface TabSpec {
  tab: ManagerTab;
  label: string;
  roles: readonly Role[];
}

const MANAGERS: readonly Role[] = ["manager"];
const MANAGERS_AND_ML: readonly Role[] = ["manager", "ml_engineer"];

/** The manager screens in the order of the tabs, each with the roles it is for. */
export const MANAGER_TABS: readonly TabSpec[] = [
  // progress/ (every member), queue/ and agreement/ (managers, ML engineers); the members' names, the alerts card
  // and "Recompute" (agreement/compute/) are for managers only, and the page leaves them out for others.
  { tab: "dashboard", label: "Dashboard", roles: MANAGERS_AND_ML },
  // charts/apis.py ChartDataApi: managers all charts, ML engineers those about the data (the page leaves the rest out).
  { tab: "charts", label: "Charts", roles: MANAGERS_AND_ML },
  // benchmarks/apis.py ScorecardsApi, AnnotatorBenchmarksApi (the drill-down).
  { tab: "scorecards", label: "Scorecards", roles: MANAGERS },
  // linting/apis.py FindingsApi, FindingRatesApi.
  { tab: "findings", label: "Findings", roles: MANAGERS },
  // agreement/apis.py LowAgreementItemsApi, ResolveItemApi.
  { tab: "review", label: "Review", roles: MANAGERS },
  // review/apis.py ReviewQueueApi, ReviewDetailApi, ReviewActionApi (reviewers and managers).
  { tab: "reviews", label: "Reviews", roles: ["manager", "reviewer"] },
  // review/apis.py LabelErrorsApi.
  { tab: "suspects", label: "Label errors", roles: MANAGERS_AND_ML },
  // exchange/apis.py ProjectImportsApi, ProjectExportsApi (gold imports: managers only, see importTargetsFor).
  { tab: "data", label: "Data", roles: MANAGERS_AND_ML },
  // alerts/apis.py: every alert, rule and webhook endpoint.
  { tab: "alerts", label: "Alerts", roles: MANAGERS },
  // projects/apis.py ProjectDetailApi: PATCH for managers only.
  // projects/apis.py ProjectDetailApi PATCH, LabelRenameApi: name, labels, instructions.
  { tab: "setup", label: "Set-up", roles: MANAGERS },
  // projects/apis.py ProjectMembersApi, ProjectMemberApi, MemberCandidatesApi.
  { tab: "members", label: "Members", roles: MANAGERS },
  { tab: "settings", label: "Settings", roles: MANAGERS },
];

export function canOpen(role: Role | null, tab: ManagerTab): boolean {
  return role !== null && rolesFor(tab).includes(role);
}

/** The tabs a role sees, in order: none for annotators (and for outsiders). */
export function tabsFor(role: Role | null): TabSpec[] {
  return MANAGER_TABS.filter((t) => canOpen(role, t.tab));
}

export function rolesFor(tab: ManagerTab): readonly Role[] {
  return MANAGER_TABS.find((t) => t.tab === tab)?.roles ?? [];
}

const ROLE_NAMES: Record<Role, string> = {
  manager: "managers",
  ml_engineer: "ML engineers",
  annotator: "annotators",
  reviewer: "reviewers",
};

/** "managers", "managers and ML engineers": who a screen is for, in words. */
export function rolesText(roles: readonly Role[]): string {
  const names = roles.map((r) => ROLE_NAMES[r]);
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
