// English messages: the reference catalogue. Every other language has exactly these keys and
// the same `{placeholders}` (checked by tests/i18n.test.ts).

export const eng = {
  "app.name": "Enrol",
  "app.tagline": "Registration client",
  "language.label": "Language",
  "nav.logout": "Log out",
  "nav.signedInAs": "Signed in as {name}",
  "loading": "Loading…",

  "firstRun.title": "Set up this machine",
  "firstRun.intro":
    "Nothing is stored on this machine yet. Enter its identity and create the first supervisor, who will then add the operators.",
  "firstRun.machineSection": "Machine and centre",
  "firstRun.machineId": "Machine ID",
  "firstRun.centreId": "Centre ID",
  "firstRun.idHint": "5 digits",
  "firstRun.centreName": "Centre name",
  "firstRun.supervisorSection": "First supervisor",
  "firstRun.supervisorId": "Supervisor user ID",
  "firstRun.supervisorIdHint": "Letters, digits, “.”, “_” or “-”",
  "firstRun.supervisorName": "Full name",
  "firstRun.password": "Password",
  "firstRun.passwordHint": "At least 8 characters",
  "firstRun.confirmPassword": "Confirm password",
  "firstRun.submit": "Set up machine",
  "firstRun.working": "Setting up: creating keys and the encrypted store…",

  "login.title": "Log in",
  "login.intro": "Your password unlocks this machine's encrypted store; no network is needed.",
  "login.operatorId": "User ID",
  "login.password": "Password",
  "login.submit": "Log in",
  "login.working": "Checking…",

  "home.welcome": "Welcome, {name}",
  "home.roles": "Roles: {roles}",
  "home.summary": "Summary",
  "home.pendingApproval": "Awaiting approval",
  "home.oldestPending": "Oldest awaiting approval since {date}",
  "home.unexported": "Approved, not yet uploaded or exported",
  "home.lastSync": "Last sync (or set-up, if never synced)",
  "home.lastExport": "Last upload or export",
  "home.none": "None yet",
  "home.registrationStatus": "Registration status",
  "home.registrationsOpen": "New registrations are allowed.",
  "home.registrationsFrozen": "New registrations are blocked",
  "home.notRegistering": "Your role does not register residents.",
  "home.refresh": "Refresh",

  "role.operator": "operator",
  "role.supervisor": "supervisor",
  "role.administrator": "administrator",

  "freeze.sync_overdue": "The last sync was {days} days ago (limit {limit}). Sync to continue registering.",
  "freeze.too_many_pending_approval":
    "{count} registrations await approval (limit {limit}). A supervisor must approve or reject them.",
  "freeze.pending_approval_too_old":
    "The oldest registration has awaited approval for {days} days (limit {limit}). A supervisor must review it.",
  "freeze.too_many_unexported":
    "{count} approved packets are not uploaded or exported (limit {limit}). Sync or export them.",
  "freeze.export_overdue":
    "Approved packets have waited {days} days for upload or export (limit {limit}). Sync or export them.",

  "error.details": "Details: {detail}",
  "error.UNKNOWN": "Something went wrong (code {code}).",
  "error.IPC": "The app could not reach its core. Restart the app; if this persists, contact support.",
  "error.PASSWORD_MISMATCH": "The two passwords do not match.",
  "error.NOT_INITIALISED": "This machine is not set up yet.",
  "error.ALREADY_INITIALISED": "This machine is already set up. Log in instead.",
  "error.STORE_WRONG_KEY": "The encrypted store cannot be opened with this key.",
  "error.STORE_CORRUPT": "The encrypted store is damaged. Contact support before doing anything else.",
  "error.DISK_FULL": "The disk is full: nothing was saved. Free some space and try again.",
  "error.STORE_DATABASE": "The encrypted store reported an error. Try again; if this persists, contact support.",
  "error.IO": "A file could not be read or written. Check the disk and try again.",
  "error.KEYRING_MALFORMED": "The key slots file is damaged. Contact support.",
  "error.AUTH_WRONG_PASSWORD": "Wrong user ID or password.",
  "error.AUTH_LOCKED": "Too many failed attempts: this account is locked until {until}.",
  "error.AUTH_DEACTIVATED": "This account is deactivated. Ask a supervisor.",
  "error.OPERATOR_UNKNOWN": "There is no such user.",
  "error.OPERATOR_EXISTS": "A user with this ID already exists.",
  "error.AUTH_SESSION_EXPIRED": "You were logged out after a period of inactivity. Log in again.",
  "error.AUTH_NO_SESSION": "You are not logged in.",
  "error.AUTH_FORBIDDEN": "Your role does not allow this.",
  "error.INVALID_INPUT": "A value was not accepted.",
  "error.ENROLMENT_FILE": "The machine enrolment file cannot be used.",
  "error.CRYPTO": "A cryptographic operation failed. Contact support.",
  "error.FREEZE_SYNC_OVERDUE": "New registrations are blocked: a sync is overdue.",
  "error.FREEZE_PENDING_APPROVAL_COUNT": "New registrations are blocked: too many registrations await approval.",
  "error.FREEZE_PENDING_APPROVAL_AGE": "New registrations are blocked: a registration has awaited approval too long.",
  "error.FREEZE_UNEXPORTED_COUNT": "New registrations are blocked: too many approved packets are not uploaded or exported.",
  "error.FREEZE_EXPORT_OVERDUE": "New registrations are blocked: an upload or export is overdue.",
} as const;

export type MessageKey = keyof typeof eng;
export type Catalogue = Record<MessageKey, string>;
