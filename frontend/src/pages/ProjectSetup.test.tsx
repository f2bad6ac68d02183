// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mockFetch } from "../test/mockFetch";
import { managerMe, renderAs, resetApiAroundEachTest } from "../test/session";
import { MembersPage } from "./MembersPage";
import { NewProjectPage } from "./NewProjectPage";

resetApiAroundEachTest();

describe("NewProjectPage", () => {
  it("checks hotkeys before sending, then places the server's field errors", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/projects/": {
        status: 400,
        body: { detail: "Invalid label settings.", errors: { "label_config.b.colour": ["a colour as #rrggbb"] } },
      },
    });
    renderAs(managerMe, <NewProjectPage />);
    fireEvent.change(screen.getByTestId("project-name"), { target: { value: "P" } });
    const names = screen.getAllByTestId("label-row-name");
    fireEvent.change(names[0], { target: { value: "a" } });
    fireEvent.change(names[1], { target: { value: "b" } });
    const keys = screen.getAllByTestId("label-row-hotkey");
    fireEvent.change(keys[0], { target: { value: "x" } });
    fireEvent.change(keys[1], { target: { value: "x" } });
    fireEvent.click(screen.getByTestId("project-create"));
    expect(screen.getByTestId("label-row-hotkey-error").textContent).toContain("already the hotkey of a");
    expect(api.callsTo("POST /api/v1/projects/")).toHaveLength(0);
    fireEvent.change(keys[1], { target: { value: "" } });
    fireEvent.change(screen.getByTestId("project-setting-benchmark_rate"), { target: { value: "0.2" } });
    fireEvent.click(screen.getByTestId("project-create"));
    await screen.findByTestId("label-row-colour-error");
    const body = api.callsTo("POST /api/v1/projects/")[0].body as Record<string, unknown>;
    expect(body).toMatchObject({ name: "P", kind: "bbox", labels: ["a", "b"], settings: { benchmark_rate: 0.2 } });
    expect((body.label_config as Record<string, { hotkey: string | null }>).b.hotkey).toBeNull();
  });
});

describe("MembersPage", () => {
  it("adds a member and shows the server's 'already a member' on the username", async () => {
    let added = false;
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "GET /api/v1/projects/2/": { status: 200, body: { id: 2, name: "Demo", kind: "bbox", labels: ["a"], role: "manager" } },
      "GET /api/v1/projects/2/members/": () => ({
        status: 200,
        body: [{ user_id: 2, username: "manager", role: "manager" }, ...(added ? [{ user_id: 9, username: "olga", role: "annotator" }] : [])],
      }),
      "GET /api/v1/projects/2/member-candidates/": { status: 200, body: { results: [] } },
      "POST /api/v1/projects/2/members/": () => {
        if (added) return { status: 400, body: { detail: "olga is already a member.", errors: { username: ["already a member (as annotator)"] } } };
        added = true;
        return { status: 201, body: { user_id: 9, username: "olga", role: "annotator" } };
      },
    });
    renderAs(managerMe, <MembersPage projectId={2} />);
    await screen.findByTestId("members-table");
    fireEvent.change(screen.getByTestId("member-username"), { target: { value: "olga" } });
    fireEvent.click(screen.getByTestId("member-add"));
    await waitFor(() => expect(screen.getAllByTestId("member-row")).toHaveLength(2));
    expect(api.callsTo("POST /api/v1/projects/2/members/")[0].body).toEqual({ username: "olga", role: "annotator" });
    fireEvent.change(screen.getByTestId("member-username"), { target: { value: "olga" } });
    fireEvent.click(screen.getByTestId("member-add"));
    await waitFor(() =>
      expect(within(screen.getByTestId("member-error-username")).getByText(/already a member/)).toBeTruthy(),
    );
  });
});
