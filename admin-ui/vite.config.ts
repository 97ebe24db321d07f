import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Served by `portico serve` at /console/; hashed file names under assets/ are cached for a
// year. During `npm run dev`, /graphql goes to a local `portico serve`.
export default defineConfig({
  base: "/console/",
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
