// Svelte preprocessing for TypeScript in components (used by Vite and svelte-check).
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default { preprocess: vitePreprocess() };
