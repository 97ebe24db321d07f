// "Learn more" beside records: the practice's education resources about the codes of the
// records a page shows, in the patient's language (the server picks it from the chart, with
// English as the fallback). One query per page of records.
import { useEffect, useRef } from "react";
import { useQuery } from "urql";
import { usePortal } from "../app/portal";
import { graphql } from "@portico/client";
import type { PortalEducationForQuery } from "@portico/client/gql/graphql";

const EducationForQuery = graphql(`
  query PortalEducationFor($patientId: ID!, $codes: [EducationCodeInput!]!) {
    educationFor(patientId: $patientId, codes: $codes) {
      system
      code
      resources {
        id
        title
        kind
        url
      }
    }
  }
`);

export type Resource = PortalEducationForQuery["educationFor"][number]["resources"][number];
export type Code = { system: "icd10" | "snomed" | "loinc" | "rxnorm"; code: string };

/** A problem's code: SNOMED CT when all digits, ICD-10-CM otherwise (as the records keep it). */
export function problemCode(code: string | null | undefined): Code | null {
  if (!code) return null;
  return { system: /^\d+$/.test(code) ? "snomed" : "icd10", code };
}

const key = (c: Code) => `${c.system}|${c.code}`;

/** The resources for each of `codes` (none while loading or when the lookup fails: it is extra). */
export function useLearnMore(patientId: string, codes: (Code | null)[]): (code: Code | null) => Resource[] {
  const asked = [...new Map(codes.filter((c): c is Code => c !== null).map((c) => [key(c), c])).values()];
  const [{ data }, reload] = useQuery({ query: EducationForQuery, variables: { patientId, codes: asked }, pause: asked.length === 0 });
  // The chart's language decides the resources' language: once another one is saved (the
  // language switch saves it), ask again rather than keep the answer in the one before.
  const language = usePortal().chart.patient.preferredLanguage ?? null;
  const shown = useRef(language);
  useEffect(() => {
    if (shown.current === language) return;
    shown.current = language;
    if (asked.length > 0) reload({ requestPolicy: "network-only" });
  }, [language, reload, asked.length]);
  const found = new Map((data?.educationFor ?? []).map((m) => [`${m.system}|${m.code}`, m.resources]));
  return (code) => (code ? (found.get(key(code)) ?? []) : []);
}
