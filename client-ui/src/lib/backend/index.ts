// The backend seen by the rest of the UI: the interface and its types. The Tauri adapter is
// chosen once, in `main.ts`.

export * from "./types";
