// What a SMART scope lets an app do, in plain words: the kind of record it reads (with a
// granular scope's search said in words), or what a context scope means for the patient.
import { useCallback } from "react";
import type { MessageId } from "../i18n/catalog";
import { en } from "../i18n/catalog";
import { useT } from "../i18n/I18n";

export interface ScopeLike {
  scope: string;
  resourceType?: string | null;
  filter?: string | null;
}

/** Whether the scope reads records (not a context scope such as `offline_access`). */
export function readsRecords(s: ScopeLike): boolean {
  return s.resourceType != null;
}

function known(id: string): id is MessageId {
  return id in en;
}

/** `patient/Observation.rs?category=laboratory` → "Results, vital signs and home readings (lab results only)". */
export function useScopeWords(): (s: ScopeLike) => string {
  const t = useT();
  return useCallback(
    (s: ScopeLike) => {
      if (s.resourceType == null) {
        const id = `connect.scope.${s.scope}`;
        return known(id) ? t(id) : s.scope;
      }
      const typeId = s.resourceType === "*" ? "connect.scope.all" : `connect.scope.${s.resourceType}`;
      const what = known(typeId) ? t(typeId) : s.resourceType;
      if (!s.filter) return what;
      const filter =
        s.filter === "category=laboratory"
          ? t("connect.scope.filter.laboratory")
          : s.filter === "category=vital-signs"
            ? t("connect.scope.filter.vitalSigns")
            : t("connect.scope.filter.other", { filter: s.filter });
      return t("connect.scope.withFilter", { what, filter });
    },
    [t],
  );
}

/** The host an app sends the patient back to ("app.example.org"); the address itself for
 * an app's own scheme. */
export function hostOf(uri: string): string {
  try {
    const url = new URL(uri);
    return url.host || uri;
  } catch {
    return uri;
  }
}
