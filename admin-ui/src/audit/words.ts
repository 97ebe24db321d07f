// Audit actions and record kinds in words, where a plain name is easy; anything else is shown
// as recorded (an action such as `observation.create` still reads).
const ACTIONS: Record<string, string> = {
  "chart.break_glass": "Opened a restricted chart (break-glass)",
  "break_glass.list": "Listed break-glass accesses",
  "break_glass.review": "Reviewed a break-glass access",
  "patient.read": "Opened a chart",
  "patient.create": "Registered a patient",
  "patient.search": "Searched for patients",
  "patient.list": "Listed patients",
  "patient.activation_code_issued": "Created an activation code",
  "observation.create": "Recorded a result",
  "observation.correct": "Corrected a result",
  "chart.restrict": "Restricted a chart",
  "chart.unrestrict": "Lifted a chart's restriction",
  "chart.export": "Downloaded a chart",
  "chart.emergency_summary": "Read an emergency summary",
  "patient.update": "Changed a chart",
  "patient.contact_update": "Changed contact details",
  "observation.list": "Read results",
  "observation.series": "Read a result's history",
  "medication.list": "Read medications",
  "allergy.list": "Read allergies",
  "condition.list": "Read problems",
  "immunization.list": "Read immunizations",
  "encounter.list": "Read visits",
  "report.list": "Read reports",
  "appointment.list": "Read appointments",
  "audit.read": "Searched the audit log",
  "audit.export": "Exported the audit log",
  "delivery.retry": "Retried a failed message",
  "auth.sign_in": "Signed in",
  "auth.sign_out": "Signed out",
  "auth.sign_in_failed": "Failed to sign in",
  "auth.sign_in_locked": "Was locked out",
  "auth.refresh_reused": "Reused an old session (refused)",
  "auth.mfa_enabled": "Turned on two-step verification",
  "auth.password_reset": "Reset their password",
  "thread.list": "Listed conversations",
  "settings.branding": "Changed the branding",
  "permissions.change": "Changed role permissions",
  "user.role_change": "Changed someone's role",
};

export function actionWords(action: string): string {
  return ACTIONS[action] ?? action;
}

const RESOURCES: Record<string, string> = {
  Patient: "Chart",
  Observation: "Result",
  DiagnosticReport: "Report",
  Encounter: "Visit",
  MedicationRequest: "Medication",
  AllergyIntolerance: "Allergy",
  Condition: "Problem",
  Immunization: "Immunization",
  BreakGlassAccess: "Break-glass access",
  AuditEvent: "Audit log",
  Appointment: "Appointment",
  MessageThread: "Conversation",
  RefillRequest: "Refill request",
  User: "Account",
  Tenant: "Practice",
};

export function resourceWords(type: string): string {
  return RESOURCES[type] ?? type;
}
