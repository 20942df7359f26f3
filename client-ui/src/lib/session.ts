// The errors that mean the session is over (idle timeout, or no session): screens hand them to
// the app, which goes back to the login screen and says why.

import { BackendError } from "./backend";

const SESSION_OVER = new Set(["AUTH_SESSION_EXPIRED", "AUTH_NO_SESSION"]);

export function sessionOver(error: unknown): boolean {
  return error instanceof BackendError && SESSION_OVER.has(error.code);
}
