// Where the patient is signed in: each running session with its device (coarse, from the
// browser at sign-in), when it started and was last active, this one marked; any other can
// be signed out at once.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import { useProblem, type PortalProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { ErrorState, LoadingState } from "../components/PageState";

const Sessions = graphql(`
  query MySessions {
    mySessions {
      id
      startedAt
      lastActiveAt
      device
      current
    }
  }
`);

const End = graphql(`
  mutation EndMySession($input: EndSessionInput!) {
    endSession(input: $input) {
      endedSessionId
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export function SessionsSection() {
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const [{ data, error }, reload] = useQuery({ query: Sessions });
  const [, end] = useMutation(End);
  const [ended, setEnded] = useState(false);
  const [problem, setProblem] = useState<PortalProblem | null>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });

  const signOut = async (id: string) => {
    setProblem(null);
    setEnded(false);
    const result = await end({ input: { sessionId: id } });
    if (result.error) setProblem(describe(result.error));
    else if (result.data?.endSession.userErrors[0]) setProblem(describe({ graphQLErrors: [{ extensions: { code: result.data.endSession.userErrors[0].code } }] }));
    else setEnded(true);
    refresh();
  };

  return (
    <section className="card" aria-labelledby="security-sessions">
      <h2 id="security-sessions">{t("account.sessions.title")}</h2>
      <p>{t("account.sessions.lead")}</p>
      {ended && (
        <p className="notice" role="status">
          {t("account.sessions.ended")}
        </p>
      )}
      {problem && <ErrorState problem={problem} />}
      {!data && !error && <LoadingState lines={2} />}
      {error && !data && <ErrorState problem={describe(error)} retry={refresh} />}
      {data && (
        <ul className="plain">
          {data.mySessions.map((s) => {
            const device = s.device ?? t("account.sessions.unknownDevice");
            return (
              <li key={s.id}>
                <strong>{t("account.sessions.device", { device })}</strong>
                {s.current && (
                  <>
                    <br />
                    <span>{t("account.sessions.current")}</span>
                  </>
                )}
                <br />
                <span className="hint">{t("account.sessions.times", { started: f.date(s.startedAt), active: f.when(s.lastActiveAt) })}</span>
                {!s.current && (
                  <>
                    <br />
                    <button type="button" className="link-button" onClick={() => void signOut(s.id)}>
                      {t("account.sessions.end", { device })}
                    </button>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
