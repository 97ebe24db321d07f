// The portal's benchmarks (not tests: they print figures and assert only that the page
// worked). `make bench-portal` runs them against a real `portico serve --demo` on SQLite.
import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

export default defineConfig({
  ...base,
  testDir: "bench",
  testMatch: "*.bench.ts",
  timeout: 300_000,
});
