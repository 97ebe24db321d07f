// The practice's password minimum, as the API publishes it (`passwordPolicy`, public), asked
// once per page load; the server's default (12) until it answers or if it cannot.
import { useEffect, useState } from "react";
import { graphql, post } from "@portico/client";
import { PRACTICE_SLUG } from "../app/address";
import { MIN_PASSWORD_LENGTH } from "./password";

const PolicyQuery = graphql(`
  query PortalPasswordPolicy {
    passwordPolicy {
      minLength
    }
  }
`);

let asked: Promise<number> | null = null;

export function usePasswordMinimum(): number {
  const [min, setMin] = useState(MIN_PASSWORD_LENGTH);
  useEffect(() => {
    asked ??= post(PolicyQuery, {}, PRACTICE_SLUG).then(
      (d) => d.passwordPolicy.minLength,
      () => MIN_PASSWORD_LENGTH,
    );
    let live = true;
    void asked.then((n) => live && setMin(n));
    return () => {
      live = false;
    };
  }, []);
  return min;
}
