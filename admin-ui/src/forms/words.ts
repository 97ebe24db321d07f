// The words the forms pages use for the API's enums: answer types, operators and statuses,
// so a practice admin never reads FHIR's names.
import type { ConditionOperator, FormItemType, FormStatus } from "@portico/client/gql/graphql";

export const ITEM_TYPES: { value: FormItemType; label: string }[] = [
  { value: "STRING", label: "Short text (one line)" },
  { value: "TEXT", label: "Long text (several lines)" },
  { value: "CHOICE", label: "One of a list of options" },
  { value: "BOOLEAN", label: "Yes or no" },
  { value: "DATE", label: "Date" },
  { value: "INTEGER", label: "Whole number" },
  { value: "DECIMAL", label: "Number with decimals" },
];

export const OPERATORS: { value: ConditionOperator; label: string }[] = [
  { value: "EQUALS", label: "is" },
  { value: "NOT_EQUALS", label: "is not" },
  { value: "EXISTS", label: "is answered" },
];

export const STATUS_WORDS: Record<FormStatus, string> = {
  DRAFT: "Draft",
  ACTIVE: "Active",
  RETIRED: "Retired",
};

export const STATUS_ABOUT: Record<FormStatus, string> = {
  DRAFT: "Draft: being built, not asked of patients",
  ACTIVE: "Active: asked with bookings and can be sent",
  RETIRED: "Retired: no longer asked; answers are kept",
};

export function typeLabel(type: FormItemType): string {
  return ITEM_TYPES.find((t) => t.value === type)?.label ?? type;
}
