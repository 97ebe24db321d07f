//! The local Stripe stand-in (`stripe_api`) as a process of its own, for the console's
//! browser journeys: prints `STRIPE_API_BASE=http://127.0.0.1:{port}` and answers until killed.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let api = portico_tests::stripe_api::StripeApi::start().await;
    println!("STRIPE_API_BASE={}", api.base_url);
    std::future::pending::<()>().await;
}
