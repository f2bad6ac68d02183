// A project's members: search users, add by username with a role, change a role, remove; staff also create
// accounts here (the new user gets a one-time link to choose a password).
import { useEffect, useState } from "react";
import { accounts, ApiError, errorMessage, projects } from "../api";
import type { Member, MemberCandidate, Role } from "../api/types";
import { useAuth } from "../auth";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

const ROLES: { value: Role; label: string }[] = [
  { value: "annotator", label: "Annotator" },
  { value: "manager", label: "Manager" },
  { value: "ml_engineer", label: "ML engineer" },
];

export function MembersPage({ projectId }: { projectId: number }) {
  return (
    <ManagerPage projectId={projectId} tab="members">
      {() => <Members projectId={projectId} />}
    </ManagerPage>
  );
}

function Members({ projectId }: { projectId: number }) {
  const { me } = useAuth();
  const list = useAsync(() => projects.members(projectId), [projectId]);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>, done: string) => {
    setError(null);
    setMessage(null);
    try {
      await action();
      setMessage(done);
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <div data-testid="members-page">
      <h1>Members</h1>
      <p role="status" className="ok-text" data-testid="members-message">
        {message}
      </p>
      {error && (
        <p role="alert" className="error" data-testid="members-error">
          {error}
        </p>
      )}
      <AddMember projectId={projectId} onAdded={(m) => {
        setMessage(`${m.username} added as ${m.role}.`);
        list.reload();
      }} />
      {list.data && (
        <table className="compact" data-testid="members-table">
          <caption className="sr-only">Members and their roles</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((m: Member) => (
              <tr key={m.user_id} data-testid="member-row" data-username={m.username} data-role={m.role}>
                <td>{m.username}</td>
                <td>
                  <select value={m.role} aria-label={`Role of ${m.username}`} data-testid="member-role"
                    title="Change this member's role"
                    onChange={(e) =>
                      void run(() => projects.setMemberRole(projectId, m.user_id, e.target.value),
                        `${m.username} is now ${e.target.value}.`)
                    }>
                    {ROLES.map((r) => (
                      <option key={r.value} value={r.value}>
                        {r.label}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <button type="button" data-testid="member-remove" aria-label={`Remove ${m.username}`}
                    title="Remove from the project (their open task goes back to the queue)"
                    onClick={() => {
                      if (window.confirm(`Remove ${m.username} from this project?`))
                        void run(() => projects.removeMember(projectId, m.user_id), `${m.username} removed.`);
                    }}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {me.is_staff && <CreateAccount />}
    </div>
  );
}

function AddMember({ projectId, onAdded }: { projectId: number; onAdded: (m: Member) => void }) {
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<Role>("annotator");
  const [candidates, setCandidates] = useState<MemberCandidate[]>([]);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [detail, setDetail] = useState<string | null>(null);

  useEffect(() => {
    const q = username.trim();
    if (!q) return setCandidates([]);
    const timer = window.setTimeout(() => {
      projects.memberCandidates(projectId, q).then(setCandidates, () => setCandidates([]));
    }, 250);
    return () => window.clearTimeout(timer);
  }, [projectId, username]);

  const add = async () => {
    setErrors({});
    setDetail(null);
    try {
      const m = await projects.addMember(projectId, username.trim(), role);
      setUsername("");
      onAdded(m);
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.body.errors ?? {});
      setDetail(errorMessage(err));
    }
  };
  return (
    <form className="panel add-member" data-testid="member-add-form" onSubmit={(e) => {
      e.preventDefault();
      void add();
    }}>
      <h2>Add a member</h2>
      <label>
        Username
        <input value={username} list="member-candidates" autoComplete="off" data-testid="member-username"
          aria-invalid={errors.username ? true : undefined} aria-describedby="member-username-errors"
          onChange={(e) => setUsername(e.target.value)} title="Type to search users by name" />
      </label>
      <datalist id="member-candidates" data-testid="member-candidates">
        {candidates.map((c) => (
          <option key={c.user_id} value={c.username}>
            {c.is_member ? `${c.username} (already a member)` : c.username}
          </option>
        ))}
      </datalist>
      <ul id="member-username-errors" className="field-errors" data-testid="member-error-username">
        {(errors.username ?? []).map((m) => (
          <li key={m}>{m}</li>
        ))}
      </ul>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="member-add-role"
          title="What the member may do in this project">
          {ROLES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      {detail && (
        <p className="error-text" role="alert" data-testid="member-add-error">
          {detail}
        </p>
      )}
      <button type="submit" className="primary" data-testid="member-add" title="Add this user to the project">
        Add
      </button>
    </form>
  );
}

export function CreateAccount() {
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const create = async () => {
    setError(null);
    setLink(null);
    try {
      const created = await accounts.create({ username: username.trim(), email: email.trim() });
      setLink(`${window.location.origin}${created.set_password_url}`);
      setUsername("");
      setEmail("");
    } catch (err) {
      setError(err instanceof ApiError ? [err.message, ...err.fieldErrors("username")].join(" ") : errorMessage(err));
    }
  };
  return (
    <form className="panel" data-testid="account-form" onSubmit={(e) => {
      e.preventDefault();
      void create();
    }}>
      <h2>Create an account</h2>
      <p className="muted small">
        The new user gets no password: send them the link shown after creating, which lets them choose one, once.
      </p>
      <label>
        Username
        <input value={username} onChange={(e) => setUsername(e.target.value)} data-testid="account-username" />
      </label>
      <label>
        Email (optional)
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} data-testid="account-email" />
      </label>
      {error && (
        <p className="error-text" role="alert" data-testid="account-error">
          {error}
        </p>
      )}
      {link && (
        <p role="status" data-testid="account-link">
          Send this one-time link to the new user: <code>{link}</code>
        </p>
      )}
      <button type="submit" className="primary" data-testid="account-create" title="Create the account">
        Create account
      </button>
    </form>
  );
}
