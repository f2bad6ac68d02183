// Who is signed in, shared through context.
import { createContext, useContext } from "react";
import type { Me, Role } from "./api/types";

export interface AuthContextValue {
  me: Me;
  setMe: (me: Me | null) => void;
}

export const AuthContext = createContext<AuthContextValue | null>(null);

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside a signed-in page");
  return value;
}

export function roleIn(me: Me, projectId: number): Role | null {
  return me.memberships.find((m) => m.project_id === projectId)?.role ?? null;
}

/**
 * The role the server gives `me` in a project (annotation_qc/projects/permissions.py project_access): the
 * membership's role, else manager for staff, else none.
 */
export function projectRole(me: Me, projectId: number): Role | null {
  return roleIn(me, projectId) ?? (me.is_staff ? "manager" : null);
}
