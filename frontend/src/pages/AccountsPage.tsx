import { Layout } from "../components/Layout";
import { useAuth } from "../auth";
import { CreateAccount } from "./MembersPage";

/** Staff create accounts (then add them to projects from a project's Members tab). */
export function AccountsPage() {
  const { me } = useAuth();
  return (
    <Layout title="Accounts">
      <main className="page narrow" data-testid="accounts-page">
        <h1>Accounts</h1>
        {me.is_staff ? <CreateAccount /> : <p data-testid="not-allowed">Staff only.</p>}
      </main>
    </Layout>
  );
}
