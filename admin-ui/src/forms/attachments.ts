// Which visit types ask for which forms. The API answers per visit type
// (`appointmentTypeForms`), so the visit types are read first and then each one's forms;
// a form is matched by its canonical URL, the same for all its versions.
import { useCallback, useEffect, useState } from "react";
import { useClient, useQuery } from "urql";
import { graphql, problemOf, type Problem } from "@portico/client";

export const VisitTypesQuery = graphql(`
  query FormVisitTypes {
    appointmentTypes(includeInactive: true) {
      id
      name
      active
    }
  }
`);

export const VisitTypeFormsQuery = graphql(`
  query VisitTypeForms($appointmentTypeId: ID!) {
    appointmentTypeForms(appointmentTypeId: $appointmentTypeId) {
      id
      url
    }
  }
`);

export interface VisitType {
  id: string;
  name: string;
  active: boolean;
}

export interface Attachments {
  types: VisitType[] | null;
  /** Visit type id → the canonical URLs of the forms it asks for. */
  byType: Record<string, string[]> | null;
  problem: Problem | null;
  reload: () => void;
  /** Records a visit type's forms as `attachForm` returned them. */
  replace: (typeId: string, urls: string[]) => void;
}

export function useAttachments(): Attachments {
  const client = useClient();
  const [{ data, error }, reloadTypes] = useQuery({ query: VisitTypesQuery });
  const [byType, setByType] = useState<Record<string, string[]> | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [round, setRound] = useState(0);
  const types = data?.appointmentTypes ?? null;

  useEffect(() => {
    if (!types) return;
    let live = true;
    Promise.all(
      types.map((t) =>
        client
          .query(VisitTypeFormsQuery, { appointmentTypeId: t.id }, { requestPolicy: "network-only" })
          .toPromise()
          .then((r) => {
            if (r.error) throw r.error;
            return [t.id, (r.data?.appointmentTypeForms ?? []).map((f) => f.url)] as const;
          }),
      ),
    ).then(
      (pairs) => {
        if (!live) return;
        setProblem(null);
        setByType(Object.fromEntries(pairs));
      },
      (e: unknown) => live && setProblem(problemOf(e)),
    );
    return () => {
      live = false;
    };
  }, [client, types, round]);

  const reload = useCallback(() => {
    reloadTypes({ requestPolicy: "network-only" });
    setRound((r) => r + 1);
  }, [reloadTypes]);
  const replace = useCallback((typeId: string, urls: string[]) => setByType((m) => ({ ...(m ?? {}), [typeId]: urls })), []);

  return { types, byType, problem: error ? problemOf(error) : problem, reload, replace };
}

/** The names of the visit types that ask for the form `url`. */
export function typesAsking(attachments: Attachments, url: string): VisitType[] {
  return (attachments.types ?? []).filter((t) => attachments.byType?.[t.id]?.includes(url));
}
