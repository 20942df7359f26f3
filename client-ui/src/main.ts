// Entry point: mounts the app with the Tauri backend, the only place that picks an adapter.

import { mount } from "svelte";
import App from "./App.svelte";
import { keepPaintingUnderWebDriver } from "./lib/automation";
import { tauriBackend } from "./lib/backend/tauri";
import "./app.css";

keepPaintingUnderWebDriver();
const target = document.getElementById("app");
if (target) {
  mount(App, { target, props: { backend: tauriBackend, storage: window.localStorage } });
}
