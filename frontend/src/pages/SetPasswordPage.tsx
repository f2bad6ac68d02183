// The page of a one-time set-password link (/set-password?uid=…&token=…), open without signing in.
import { useState } from "react";
import { ApiError, auth, errorMessage } from "../api";
import { currentLocation } from "../router";

export function SetPasswordPage() {
  const search = currentLocation().search;
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async () => {
    setError(null);
    if (password !== again) return setError("The two passwords differ.");
    try {
      await auth.setPassword(search.get("uid") ?? "", search.get("token") ?? "", password);
      setDone(true);
    } catch (err) {
      setError(
        err instanceof ApiError
          ? [err.message, ...err.fieldErrors("password"), ...err.fieldErrors("token")].join(" ")
          : errorMessage(err),
      );
    }
  };
  return (
    <main className="login-page">
      <form className="login-form panel" data-testid="set-password-form" onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}>
        <h1>Choose your password</h1>
        {done ? (
          <p role="status" data-testid="set-password-done">
            Your password is set. <a href="/">Sign in</a>.
          </p>
        ) : (
          <>
            <label>
              New password
              <input type="password" autoComplete="new-password" value={password}
                onChange={(e) => setPassword(e.target.value)} data-testid="set-password" />
            </label>
            <label>
              The same again
              <input type="password" autoComplete="new-password" value={again}
                onChange={(e) => setAgain(e.target.value)} data-testid="set-password-again" />
            </label>
            {error && (
              <p className="error-text" role="alert" data-testid="set-password-error">
                {error}
              </p>
            )}
            <button type="submit" className="primary" data-testid="set-password-submit">
              Set password
            </button>
          </>
        )}
      </form>
    </main>
  );
}
