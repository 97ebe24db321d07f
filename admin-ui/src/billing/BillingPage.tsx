// The practice's plan and status, the hand-offs to the payment provider's Checkout (to
// subscribe) and Customer Portal (to change the card or cancel), and the invoices.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { formatDate, formatDateTime } from "../components/format";
import { useConsole } from "../app/session";

const BillingQuery = graphql(`
  query Billing {
    billing {
      enabled
      status
      subscriptionStatus
      trialEndsAt
      currentPeriodEnd
      graceEndsAt
      plan {
        code
        name
      }
      plans {
        code
        name
        perProviderSeats
        meteredByActivePatients
      }
    }
  }
`);

const InvoicesQuery = graphql(`
  query Invoices {
    billing {
      invoices(first: 12) {
        id
        number
        status
        currency
        total
        created
        hostedUrl
      }
    }
  }
`);

const Checkout = graphql(`
  mutation StartCheckout($plan: String!) {
    startCheckout(input: { plan: $plan }) {
      url
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Portal = graphql(`
  mutation BillingPortal {
    billingPortalUrl {
      url
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export default function BillingPage() {
  const { me } = useConsole();
  const [{ data, error, fetching }, reload] = useQuery({ query: BillingQuery });
  const [checkout, startCheckout] = useMutation(Checkout);
  const [portal, openPortal] = useMutation(Portal);
  const [problems, setProblems] = useState<Record<string, string>>({});

  async function handOff(run: () => Promise<{ url?: string | null; userErrors: { field: string; code: string; message: string }[] } | undefined | { error: unknown }>) {
    const result = await run();
    if (!result) return;
    if ("error" in result) return setProblems({ _: problemOf(result.error).sentence });
    if (result.userErrors.length) return setProblems(fieldProblems(result.userErrors));
    if (result.url) window.location.assign(result.url);
  }

  if (error && !data) return <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />;
  if (fetching && !data) return <LoadingState label="Loading billing" />;
  const billing = data?.billing;
  if (!billing) return null;
  if (!billing.enabled) {
    return (
      <>
        <h1>Billing</h1>
        <EmptyState title="Billing is off on this Portico.">Every practice is on the unlimited self-hosted plan.</EmptyState>
      </>
    );
  }
  const tz = me.tenant.timeZone;
  return (
    <>
      <h1>Billing</h1>
      <ErrorSummary problems={problems} labels={{}} />
      <dl className="facts">
        <dt>Plan</dt>
        <dd>{billing.plan?.name ?? "No plan yet"}</dd>
        <dt>Status</dt>
        <dd>{billing.status}</dd>
        {billing.trialEndsAt && (
          <>
            <dt>Trial ends</dt>
            <dd>{formatDateTime(billing.trialEndsAt, tz)}</dd>
          </>
        )}
        {billing.currentPeriodEnd && (
          <>
            <dt>Renews</dt>
            <dd>{formatDateTime(billing.currentPeriodEnd, tz)}</dd>
          </>
        )}
      </dl>
      {billing.subscriptionStatus ? (
        <button
          type="button"
          className="primary"
          disabled={portal.fetching}
          onClick={() =>
            void handOff(async () => {
              const r = await openPortal({});
              return r.error ? { error: r.error } : r.data?.billingPortalUrl;
            })
          }
        >
          Manage payment and invoices
        </button>
      ) : (
        <section aria-labelledby="plans-title">
          <h2 id="plans-title">Choose a plan</h2>
          <ul className="cards">
            {billing.plans.map((plan) => (
              <li key={plan.code} className="card">
                <h3>{plan.name}</h3>
                <p>
                  {plan.perProviderSeats ? "Priced per active provider. " : ""}
                  {plan.meteredByActivePatients ? "Plus each patient active in the month." : ""}
                </p>
                <button
                  type="button"
                  className="primary"
                  disabled={checkout.fetching}
                  onClick={() =>
                    void handOff(async () => {
                      const r = await startCheckout({ plan: plan.code });
                      return r.error ? { error: r.error } : r.data?.startCheckout;
                    })
                  }
                >
                  Subscribe to {plan.name}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <Invoices />
    </>
  );
}

function Invoices() {
  const [{ data, error, fetching }, reload] = useQuery({ query: InvoicesQuery });
  return (
    <section aria-labelledby="invoices-title">
      <h2 id="invoices-title">Invoices</h2>
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Loading invoices" rows={2} />}
      {data && data.billing.invoices.length === 0 && <EmptyState title="No invoices yet." />}
      {data && data.billing.invoices.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Invoices, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Invoice</th>
              <th scope="col">Date</th>
              <th scope="col">Total</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {data.billing.invoices.map((i) => (
              <tr key={i.id}>
                <td>{i.hostedUrl ? <a href={i.hostedUrl}>{i.number ?? "Invoice"}</a> : (i.number ?? "Invoice")}</td>
                <td>{formatDate(i.created)}</td>
                <td>{new Intl.NumberFormat(undefined, { style: "currency", currency: i.currency.toUpperCase() }).format(i.total / 100)}</td>
                <td>{i.status ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
