//! Text twins of a few golden plans: what a reviewer reads in a pull request, pinned as
//! insta snapshots (`snapshots/`). One example (cost-saving: off-hours, autoscaling,
//! alarms, a topic) under its own token, through a first plan and apply, a drift made
//! by hand, and a sleep, each step with a fixed `--now`; the token and the temporary
//! folder are normalised away as in the JSON goldens.
//!
//! Review a changed snapshot as a pull-request reader would (`cargo insta review`, or
//! `INSTA_UPDATE=always` and `git diff`): every line is something a user sees.

use super::*;

/// `mooring COMMAND FILE --now NOW [extra]` as text: the command, its exit code and its
/// output, normalised.
async fn text_step(
    normaliser: &mut Normaliser,
    path: &str,
    command: &str,
    now: &str,
    extra: &[&str],
) -> String {
    let mut args = vec![command, path, "--now", now];
    args.extend_from_slice(extra);
    let run = mooring(&args).await;
    let shown = format!(
        "$ mooring {command} cost-saving.yaml --now {now}{}\n(exit {})\n{}",
        extra.iter().map(|a| format!(" {a}")).collect::<String>(),
        run.code,
        run.stdout
    );
    normaliser.text(&shown)
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_text_of_a_first_apply_a_drift_and_a_sleep() {
    let example = repo_root().join("desired-state/examples/cost-saving.yaml");
    let token = token();
    let yaml = std::fs::read_to_string(&example)
        .unwrap_or_else(|e| panic!("reading {}: {e}", example.display()));
    let file = DesiredFile::write("cost-saving.yaml", &with_token(&yaml, &token));
    let desired = desired_state::load(&[&file.path])
        .unwrap_or_else(|e| panic!("cost-saving.yaml with its names prefixed: {e}"));
    let mut normaliser = Normaliser {
        token: format!("{token}-"),
        dir: file.dir.to_string_lossy().into_owned(),
        digests: BTreeMap::new(),
    };
    let path = file.path.to_string_lossy().into_owned();
    for stack in &desired.stacks {
        for service in &stack.services {
            seed_services(
                region(stack),
                &service.cluster,
                &[(service.name.as_str(), 0)],
            )
            .await;
        }
    }

    let first_plan = text_step(&mut normaliser, &path, "plan", DAY, &[]).await;
    let first_apply = text_step(&mut normaliser, &path, "apply", DAY, &[]).await;
    drift_by_hand(&desired).await;
    let drift = text_step(&mut normaliser, &path, "plan", DAY, &[]).await;
    let corrected = text_step(&mut normaliser, &path, "apply", DAY, &[]).await;
    assert!(corrected.contains("(exit 0)"), "{corrected}");
    let sleep = text_step(&mut normaliser, &path, "plan", NIGHT, &[]).await;
    let sleep_verbose = text_step(&mut normaliser, &path, "plan", NIGHT, &["--verbose"]).await;
    let slept = text_step(&mut normaliser, &path, "apply", NIGHT, &[]).await;
    assert!(slept.contains("(exit 0)"), "{slept}");
    // The staging service leaves the file while it sleeps: the next plan releases it
    // (woken, its autoscaling unfrozen, mooring's tags and what was only its own gone).
    let without_staging = without_service(&with_token(&yaml, &token), "fastapi-staging");
    std::fs::write(&file.path, without_staging)
        .unwrap_or_else(|e| panic!("rewriting {}: {e}", file.path.display()));
    let release = text_step(&mut normaliser, &path, "plan", NIGHT, &[]).await;

    insta::assert_snapshot!("cost_saving_first_plan", first_plan);
    insta::assert_snapshot!("cost_saving_first_apply", first_apply);
    insta::assert_snapshot!("cost_saving_drift", drift);
    insta::assert_snapshot!("cost_saving_sleep", sleep);
    insta::assert_snapshot!("cost_saving_sleep_verbose", sleep_verbose);
    insta::assert_snapshot!("cost_saving_release", release);
}

/// The example (JSON, as `with_token` writes it) without its services in `cluster`
/// (the cluster's name ends with it: the token is in front).
fn without_service(json: &str, cluster: &str) -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON: {e}"));
    let services = doc
        .pointer_mut("/spec/services")
        .and_then(serde_json::Value::as_array_mut)
        .unwrap_or_else(|| panic!("no services"));
    let before = services.len();
    services.retain(|service| {
        !service["cluster"]
            .as_str()
            .is_some_and(|name| name.ends_with(cluster))
    });
    assert_ne!(services.len(), before, "no service in cluster {cluster}");
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| panic!("{e}"))
}
