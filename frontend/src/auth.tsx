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

export function isManagerOf(me: Me, projectId: number): boolean {
  return me.is_staff || roleIn(me, projectId) === "manager";
}
