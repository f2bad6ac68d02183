// @vitest-environment jsdom
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { mockFetch } from "../test/mockFetch";
import { resetApiAroundEachTest } from "../test/session";
import { LoginPage } from "./LoginPage";

const me = { id: 4, username: "annotator1", is_staff: false, memberships: [] };

resetApiAroundEachTest();

describe("LoginPage", () => {
  it("posts the credentials with the CSRF token and reports the signed-in user", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/auth/login/": { status: 200, body: me },
    });
    const onSignedIn = vi.fn();
    render(<LoginPage onSignedIn={onSignedIn} />);
    const user = userEvent.setup();
    await user.type(screen.getByTestId("login-username"), "annotator1");
    await user.type(screen.getByTestId("login-password"), "demo-annotator");
    await user.click(screen.getByTestId("login-submit"));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith(me));
    const [login] = api.callsTo("POST /api/v1/auth/login/");
    expect(login.body).toEqual({ username: "annotator1", password: "demo-annotator" });
    expect(login.headers["X-CSRFToken"]).toBe("abc");
    expect(api.callsTo("GET /api/v1/auth/csrf/").length).toBe(1);
  });

  it("shows the server's message on bad credentials and stays on the form", async () => {
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/auth/login/": { status: 400, body: { detail: "Wrong username or password." } },
    });
    const onSignedIn = vi.fn();
    render(<LoginPage onSignedIn={onSignedIn} />);
    const user = userEvent.setup();
    await user.type(screen.getByTestId("login-username"), "x");
    await user.type(screen.getByTestId("login-password"), "y{Enter}");
    expect(await screen.findByTestId("login-error")).toHaveProperty("textContent", "Wrong username or password.");
    expect(onSignedIn).not.toHaveBeenCalled();
    expect(screen.getByTestId("login-submit")).toHaveProperty("disabled", false);
  });
});
