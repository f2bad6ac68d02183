import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { ApiError, auth, errorMessage } from "./api";
import type { Me } from "./api/types";
import { AuthContext, projectRole } from "./auth";
import { Layout } from "./components/Layout";
import { ServerBusy } from "./components/ServerBusy";
import { canOpen, rolesFor, rolesText, type ManagerTab } from "./manager/access";
import { AlertsPage } from "./pages/AlertsPage";
import { DashboardPage } from "./pages/DashboardPage";
import { DataPage } from "./pages/DataPage";
import { DrilldownPage } from "./pages/DrilldownPage";
import { FindingsPage } from "./pages/FindingsPage";
import { LoginPage } from "./pages/LoginPage";
import { ProjectsPage } from "./pages/ProjectsPage";
import { ReviewPage } from "./pages/ReviewPage";
import { ReviewWorkspacePage } from "./pages/ReviewWorkspacePage";
import { ReworkPage } from "./pages/ReworkPage";
import { SuspectsPage } from "./pages/SuspectsPage";
import { ScorecardsPage } from "./pages/ScorecardsPage";
import { SettingsPage } from "./pages/SettingsPage";
import { WorkspacePage } from "./pages/WorkspacePage";
import { AccountsPage } from "./pages/AccountsPage";
import { MembersPage } from "./pages/MembersPage";
import { NewProjectPage } from "./pages/NewProjectPage";
import { SetPasswordPage } from "./pages/SetPasswordPage";
import { SetupPage } from "./pages/SetupPage";
import { AnnotationPage } from "./pages/AnnotationPage";
import { Link, matchPath, useLocation } from "./router";

// The charts (Recharts) load only when the Charts tab opens: the labeling screens never pay for them.
const ChartsPage = lazy(() => import("./pages/ChartsPage").then((m) => ({ default: m.ChartsPage })));

type Session = { status: "checking" } | { status: "anonymous" } | { status: "signed-in"; me: Me } | { status: "error"; message: string };

export function App() {
  return (
    <>
      <ServerBusy />
      <SessionGate />
    </>
  );
}

function SessionGate() {
  const [session, setSession] = useState<Session>({ status: "checking" });

  useEffect(() => {
    let live = true;
    auth.csrf().catch(() => undefined);
    auth.me().then(
      (me) => live && setSession({ status: "signed-in", me }),
      (err: unknown) => {
        if (!live) return;
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setSession({ status: "anonymous" });
        else setSession({ status: "error", message: errorMessage(err) });
      },
    );
    return () => {
      live = false;
    };
  }, []);

  if (session.status === "checking") return <p className="page">Loading…</p>;
  if (session.status === "error") {
    return (
      <main className="page">
        <p className="error" role="alert">
          The server could not be reached: {session.message}
        </p>
        <button type="button" onClick={() => window.location.reload()}>
          Retry
        </button>
      </main>
    );
  }
  // A one-time set-password link opens without signing in.
  if (window.location.pathname === "/set-password") return <SetPasswordPage />;
  if (session.status === "anonymous") {
    return <LoginPage onSignedIn={(me) => setSession({ status: "signed-in", me })} />;
  }
  const setMe = (me: Me | null) => setSession(me ? { status: "signed-in", me } : { status: "anonymous" });
  return (
    <AuthContext.Provider value={{ me: session.me, setMe }}>
      <Routes me={session.me} />
    </AuthContext.Provider>
  );
}

function Routes({ me }: { me: Me }) {
  const { path } = useLocation();
  let m: Record<string, string> | null;
  if (path === "/" || path === "/login" || path === "/projects") return <ProjectsPage />;
  if (path === "/projects/new") return <NewProjectPage />;
  if (path === "/accounts") return <AccountsPage />;
  if ((m = matchPath("/projects/:id/label", path))) return <WorkspacePage projectId={Number(m.id)} />;
  if ((m = matchPath("/projects/:id/rework", path))) return <ReworkPage projectId={Number(m.id)} />;

  // Each screen belongs to a tab; the roles that may open the tab may open the screen (manager/access.ts).
  const projectRoutes: [string, ManagerTab, (p: Record<string, string>) => ReactNode][] = [
    ["/projects/:id", "dashboard", (p) => <DashboardPage projectId={Number(p.id)} />],
    ["/projects/:id/dashboard", "dashboard", (p) => <DashboardPage projectId={Number(p.id)} />],
    ["/projects/:id/scorecards", "scorecards", (p) => <ScorecardsPage projectId={Number(p.id)} />],
    [
      "/projects/:id/annotators/:userId/benchmarks",
      "scorecards",
      (p) => <DrilldownPage projectId={Number(p.id)} userId={Number(p.userId)} />,
    ],
    ["/projects/:id/findings", "findings", (p) => <FindingsPage projectId={Number(p.id)} />],
    ["/projects/:id/review", "review", (p) => <ReviewPage projectId={Number(p.id)} />],
    ["/projects/:id/reviews", "reviews", (p) => <ReviewWorkspacePage projectId={Number(p.id)} />],
    ["/projects/:id/suspects", "suspects", (p) => <SuspectsPage projectId={Number(p.id)} />],
    ["/projects/:id/data", "data", (p) => <DataPage projectId={Number(p.id)} />],
    ["/projects/:id/alerts", "alerts", (p) => <AlertsPage projectId={Number(p.id)} />],
    ["/projects/:id/settings", "settings", (p) => <SettingsPage projectId={Number(p.id)} />],
    ["/projects/:id/setup", "setup", (p) => <SetupPage projectId={Number(p.id)} />],
    [
      "/projects/:id/annotations/:annotationId",
      "findings",
      (p) => <AnnotationPage projectId={Number(p.id)} annotationId={Number(p.annotationId)} />,
    ],
    ["/projects/:id/members", "members", (p) => <MembersPage projectId={Number(p.id)} />],
    ["/projects/:id/charts", "charts", (p) => (
      <Suspense fallback={<p className="page">Loading…</p>}>
        <ChartsPage projectId={Number(p.id)} />
      </Suspense>
    )],
  ];
  for (const [pattern, tab, render] of projectRoutes) {
    if ((m = matchPath(pattern, path))) {
      if (!canOpen(projectRole(me, Number(m.id)), tab)) return <NotAllowed tab={tab} />;
      return render(m);
    }
  }
  return <NotFound />;
}

function NotFound() {
  return (
    <Layout>
      <main className="page" data-testid="not-found">
        <h1>Page not found</h1>
        <Link href="/">Back to my projects</Link>
      </main>
    </Layout>
  );
}

function NotAllowed({ tab }: { tab: ManagerTab }) {
  const who = rolesText(rolesFor(tab));
  return (
    <Layout>
      <main className="page" data-testid="not-allowed">
        <h1>{who.charAt(0).toUpperCase() + who.slice(1)} only</h1>
        <p>This page is for the project's {who}.</p>
        <Link href="/">Back to my projects</Link>
      </main>
    </Layout>
  );
}
