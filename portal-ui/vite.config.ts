import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// One build serves every practice: its files live under /portal/ on every host, and the page
// is served at /t/{slug}/ (any host) and at / on a practice's own host (src/app/address.ts).
// During `npm run dev`, /graphql goes to a local `portico serve`.
export default defineConfig({
  base: "/portal/",
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    target: "es2022",
  },
  server: {
    proxy: { "/graphql": { target: "http://127.0.0.1:8080", ws: true } },
  },
});
