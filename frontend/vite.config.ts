/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Django serves dist/index.html for every non-API path and the assets through whitenoise at /static/
// (STATICFILES_DIRS includes frontend/dist), hence base "/static/" and assets in dist/assets/.
// `npm run dev` serves the app at / (client-side routes work there) and proxies the API to Django.
const backend = "http://127.0.0.1:8000";

export default defineConfig(({ command }) => ({
  base: command === "build" ? "/static/" : "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: {
      "/api": { target: backend, changeOrigin: false },
      "/media": { target: backend, changeOrigin: false },
    },
  },
  test: {
    environment: "node",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    // A page test renders the whole page in jsdom: on a loaded 2-core CI box that can pass 5 s (the default)
    // without anything being wrong. Waits inside tests stay short; this only bounds a hung test.
    testTimeout: 20_000,
  },
}));
