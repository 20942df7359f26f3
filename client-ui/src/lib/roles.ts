// What each role may do, as the core's role table (`enrol_client::roles`) says: the screens
// and the navigation offer only what the core would allow. The core still checks every call.

import type { Operator, Role } from "./backend";

type Ability = "register" | "approve" | "manageMachine" | "audit";

const ABILITIES: Record<Role, readonly Ability[]> = {
  operator: ["register"],
  supervisor: ["register", "approve", "manageMachine", "audit"],
  administrator: ["manageMachine", "audit"],
};

/** Whether any of the operator's roles allows `ability`. */
export function can(operator: Operator, ability: Ability): boolean {
  return operator.roles.some((role) => ABILITIES[role]?.includes(ability));
}
