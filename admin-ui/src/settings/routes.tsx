// The practice admin's settings pages: their routes, each page loaded only when opened, and
// their entries in the console's navigation (by job: messages and refills, then visits, then
// security and the API, then the apps patients connect). App.tsx spreads `settingsRoutes`
// into the signed-in routes; Shell.tsx spreads `settingsNav` into its navigation.
import { lazy, type ReactNode } from "react";
import { PracticePage } from "../practice/routes";
import type { Role } from "../app/session";

const MessagingPage = lazy(() => import("./MessagingPage"));
const RefillRulesPage = lazy(() => import("./RefillRulesPage"));
const RemindersPage = lazy(() => import("./RemindersPage"));
const SchedulingRulesPage = lazy(() => import("./SchedulingRulesPage"));
const LogoffPage = lazy(() => import("./LogoffPage"));
const ApiKeysPage = lazy(() => import("./ApiKeysPage"));
const WebhooksPage = lazy(() => import("./webhooks/WebhooksPage"));
const WebhookEndpointPage = lazy(() => import("./webhooks/EndpointPage"));
const SmartAppsPage = lazy(() => import("./smart-apps/SmartAppsPage"));

export const SETTINGS_PATHS = {
  messaging: "settings/messaging",
  refills: "settings/refills",
  reminders: "settings/reminders",
  scheduling: "settings/scheduling",
  logoff: "settings/log-off",
  apiKeys: "settings/api-keys",
  webhooks: "settings/webhooks",
  smartApps: "settings/smart-apps",
} as const;

export const settingsRoutes: { path: string; element: ReactNode }[] = [
  { path: SETTINGS_PATHS.messaging, element: <PracticePage><MessagingPage /></PracticePage> },
  { path: SETTINGS_PATHS.refills, element: <PracticePage><RefillRulesPage /></PracticePage> },
  { path: SETTINGS_PATHS.reminders, element: <PracticePage><RemindersPage /></PracticePage> },
  { path: SETTINGS_PATHS.scheduling, element: <PracticePage><SchedulingRulesPage /></PracticePage> },
  { path: SETTINGS_PATHS.logoff, element: <PracticePage><LogoffPage /></PracticePage> },
  { path: SETTINGS_PATHS.apiKeys, element: <PracticePage><ApiKeysPage /></PracticePage> },
  { path: SETTINGS_PATHS.webhooks, element: <PracticePage><WebhooksPage /></PracticePage> },
  { path: `${SETTINGS_PATHS.webhooks}/:endpointId`, element: <PracticePage><WebhookEndpointPage /></PracticePage> },
  { path: SETTINGS_PATHS.smartApps, element: <PracticePage><SmartAppsPage /></PracticePage> },
];

export const settingsNav: { to: string; label: string; roles: Role[] }[] = [
  { to: SETTINGS_PATHS.messaging, label: "Messaging", roles: ["practice_admin"] },
  { to: SETTINGS_PATHS.refills, label: "Refill rules", roles: ["practice_admin"] },
  { to: SETTINGS_PATHS.reminders, label: "Reminders", roles: ["practice_admin"] },
  { to: SETTINGS_PATHS.scheduling, label: "Scheduling rules", roles: ["practice_admin"] },
  { to: SETTINGS_PATHS.logoff, label: "Log-off", roles: ["practice_admin"] },
  { to: SETTINGS_PATHS.apiKeys, label: "API keys", roles: ["practice_admin"] },
  { to: SETTINGS_PATHS.webhooks, label: "Webhooks", roles: ["practice_admin"] },
  { to: SETTINGS_PATHS.smartApps, label: "Patient apps", roles: ["practice_admin"] },
];
