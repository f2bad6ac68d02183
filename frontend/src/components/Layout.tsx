import type { ReactNode } from "react";
import { auth } from "../api";
import { useAuth } from "../auth";
import { Link, navigate } from "../router";

export function Layout({ children, title }: { children: ReactNode; title?: ReactNode }) {
  const { me, setMe } = useAuth();
  const logout = async () => {
    try {
      await auth.logout();
    } finally {
      setMe(null);
      navigate("/", { replace: true });
    }
  };
  return (
    <div className="app">
      <header className="topbar">
        <Link href="/" className="brand" data-testid="nav-projects">
          annotation-qc
        </Link>
        {title && <div className="topbar-title">{title}</div>}
        <div className="topbar-user">
          <span data-testid="nav-username">{me.username}</span>
          <button type="button" onClick={logout} data-testid="nav-logout">
            Sign out
          </button>
        </div>
      </header>
      {children}
    </div>
  );
}

export function ErrorNote({ error, testId = "error" }: { error: string | null; testId?: string }) {
  if (!error) return null;
  return (
    <p className="error" role="alert" data-testid={testId}>
      {error}
    </p>
  );
}
