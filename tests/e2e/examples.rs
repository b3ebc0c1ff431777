//! The shipped examples (desired-state/examples/) converge against the emulator.

use crate::fixtures::*;

#[tokio::test(flavor = "multi_thread")]
async fn apply_converges_the_examples_service_counts() {
    let _names = EXAMPLE_NAMES.lock().await;
    let examples = repo_root().join("desired-state/examples");
    let desired = desired_state::load(&[&examples]).unwrap_or_else(|e| panic!("{e}"));
    let stacks: Vec<(&str, &str)> = desired
        .stacks
        .iter()
        .map(|s| (s.name.as_str(), s.region.as_deref().unwrap_or("us-east-1")))
        .collect();
    forget_cluster_tags(&stacks).await;
    // A deploy pipeline created every service at 0 tasks.
    for stack in &desired.stacks {
        let region = stack.region.as_deref().unwrap_or("us-east-1");
        for service in &stack.services {
            seed_services(region, &service.cluster, &[(service.name.as_str(), 0)]).await;
        }
    }
    // The Lambda functions the alert targets name exist too (the tap example's chat
    // notifier): mooring grants on them and never creates them.
    crate::lambda_targets::create_declared_functions(&desired).await;
    let path = examples.to_string_lossy().into_owned();
    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 0, "{apply:?}");

    let mut owned = 0;
    for stack in &desired.stacks {
        let region = stack.region.as_deref().unwrap_or("us-east-1");
        for service in &stack.services {
            let actual = desired_count(region, &service.cluster, &service.name).await;
            match (&service.autoscaling, service.desired_count) {
                (None, Some(wanted)) => {
                    owned += 1;
                    assert_eq!(
                        actual,
                        i32::try_from(wanted).unwrap_or(-1),
                        "{}/{}",
                        service.cluster,
                        service.name
                    );
                }
                // The autoscaler owns the count: mooring left the pipeline's 0 alone.
                _ => assert_eq!(actual, 0, "{}/{}", service.cluster, service.name),
            }
        }
    }
    assert!(
        owned >= 3,
        "the examples declare counts for at least three services"
    );
    let plan = mooring(&["plan", &path]).await;
    assert_eq!(plan.code, 0, "converged: {plan:?}");
}
