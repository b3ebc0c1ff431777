//! The exit-code contract CI relies on (README, "Exit codes"): warnings are counted in
//! the closing line and fail the run only under `--fail-on-warnings` (3); a usage error
//! is 64 on every command, never `plan`'s 2 ("changes pending"); `--stack` selects
//! stacks, and an unknown one is a usage error that lists the stacks found.

use crate::fixtures::*;

const REGION: &str = "us-east-1";
const WARNINGS: i32 = 3;
const USAGE: i32 = 64;

fn stack_yaml(stack: &str, services: &str) -> String {
    format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  region: {REGION}\n  services:\n{services}"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn warnings_are_counted_and_fail_only_under_fail_on_warnings() {
    let cluster = unique("warned");
    seed_services(REGION, &cluster, &[("web", 1)]).await;
    // `wbe`: a typo for `web`, which ECS does not know (ServiceNotFound).
    let stack = unique("warned");
    let yaml = stack_yaml(
        &stack,
        &format!(
            "    - {{ cluster: {cluster}, name: web, desiredCount: 1 }}\n\
             \x20   - {{ cluster: {cluster}, name: wbe, desiredCount: 1 }}\n"
        ),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();

    // A first apply claims web and records its count; from then on only the warning
    // is left.
    let first = mooring(&["apply", &path]).await;
    assert_eq!(first.code, 0, "{first:?}");
    let plan = mooring(&["plan", &path]).await;
    assert_eq!(plan.code, 0, "only a warning: nothing pending: {plan:?}");
    assert!(
        plan.stdout
            .contains("No changes; 1 warning needs attention (see ! above)."),
        "{plan:?}"
    );
    assert!(
        !plan.stdout.contains("matches the desired state"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains(&format!("! ecs-service {cluster}/wbe  (ServiceNotFound)")),
        "{plan:?}"
    );
    let strict = mooring(&["plan", &path, "--fail-on-warnings"]).await;
    assert_eq!(strict.code, WARNINGS, "{strict:?}");

    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        apply
            .stdout
            .contains("Apply complete: no changes; 1 warning needs attention (see ! above)."),
        "{apply:?}"
    );
    let strict = mooring(&["apply", &path, "--fail-on-warnings"]).await;
    assert_eq!(strict.code, WARNINGS, "{strict:?}");

    // Warnings outrank pending changes; the JSON report counts both.
    scale_behind_moorings_back(REGION, &cluster, "web", 4).await;
    let pending = mooring(&["plan", &path]).await;
    assert_eq!(pending.code, 2, "{pending:?}");
    assert!(
        pending
            .stdout
            .contains("Plan: 1 to change; 1 warning (see ! above)."),
        "{pending:?}"
    );
    let json = mooring(&["plan", &path, "--output", "json", "--fail-on-warnings"]).await;
    assert_eq!(json.code, WARNINGS, "{json:?}");
    let report: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {json:?}"));
    assert_eq!(report["summary"]["change"], 1, "{report:#}");
    assert_eq!(report["summary"]["warnings"], 1, "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_64_on_every_command() {
    let file = DesiredFile::write(
        "stack.yaml",
        &stack_yaml(
            &unique("usage"),
            &format!(
                "    - {{ cluster: {}, name: web, desiredCount: 1 }}\n",
                unique("usage")
            ),
        ),
    );
    let path = file.path.to_string_lossy().into_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec!["plan", &path, "--bogus"],
        vec!["plan", &path, "--now", "yesterday"],
        vec!["apply", &path, "--bogus"],
        vec!["apply", &path, "--now", "2026-13-01T00:00:00Z"],
        vec!["validate", &path, "--bogus"],
        vec!["schedule", &path, "--from", "tomorrow"],
        vec!["run", &path, "--now", "yesterday"],
        vec!["run", &path, "--interval", "5"],
        // An S3 desired state must be the only PATH.
        vec!["run", "s3://bucket/stack.yaml", &path],
        vec!["frobnicate"],
        vec![],
    ];
    for args in cases {
        let run = mooring(&args).await;
        assert_eq!(run.code, USAGE, "mooring {args:?}: {run:?}");
        assert!(run.stderr.contains("error"), "mooring {args:?}: {run:?}");
    }
    // Asking for help or the version is not an error.
    for args in [vec!["--help"], vec!["plan", "--help"], vec!["--version"]] {
        let run = mooring(&args).await;
        assert_eq!(run.code, 0, "mooring {args:?}: {run:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stack_selects_stacks_and_an_unknown_one_lists_those_found() {
    let cluster = unique("stacks");
    seed_services(REGION, &cluster, &[("dev-web", 0), ("prod-web", 0)]).await;
    let dev = unique("dev");
    let prod = unique("prod");
    let dev_file = DesiredFile::write(
        "dev.yaml",
        &stack_yaml(
            &dev,
            &format!("    - {{ cluster: {cluster}, name: dev-web, desiredCount: 1, offHours: {{ schedule: night }} }}\n"),
        )
        .replace(
            "  services:\n",
            "  schedules:\n    night: { timezone: UTC, awake: [\"Mon-Sun 08:00-20:00\"] }\n  services:\n",
        ),
    );
    let prod_file = DesiredFile::write(
        "prod.yaml",
        &stack_yaml(
            &prod,
            &format!("    - {{ cluster: {cluster}, name: prod-web, desiredCount: 2 }}\n"),
        ),
    );
    let dev_path = dev_file.path.to_string_lossy().into_owned();
    let prod_path = prod_file.path.to_string_lossy().into_owned();

    let valid = mooring(&["validate", &dev_path, &prod_path, "--stack", &prod]).await;
    assert_eq!(valid.code, 0, "{valid:?}");
    assert!(
        valid.stdout.contains("1 stack(s), 1 service(s)"),
        "{valid:?}"
    );

    let plan = mooring(&["plan", &dev_path, &prod_path, "--stack", &dev]).await;
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(plan.stdout.contains(&format!("stack {dev} ")), "{plan:?}");
    assert!(
        !plan.stdout.contains(&prod),
        "prod is not planned: {plan:?}"
    );

    let apply = mooring(&["apply", &dev_path, &prod_path, "--stack", &dev]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_eq!(desired_count(REGION, &cluster, "dev-web").await, 1);
    assert_eq!(
        desired_count(REGION, &cluster, "prod-web").await,
        0,
        "dev is applied before prod"
    );
    let both = mooring(&[
        "plan", &dev_path, &prod_path, "--stack", &dev, "--stack", &prod,
    ])
    .await;
    assert_eq!(both.code, 2, "{both:?}");
    assert!(
        both.stdout
            .contains(&format!("~ ecs-service {cluster}/prod-web")),
        "{both:?}"
    );
    assert!(
        // prod-web and the cluster's tag for prod (dev's was written with dev's claim).
        both.stdout.contains("Plan: 2 to change."),
        "dev is converged: {both:?}"
    );

    let schedule = mooring(&[
        "schedule",
        &dev_path,
        &prod_path,
        "--stack",
        &prod,
        "--from",
        AWAKE_INSTANT,
    ])
    .await;
    assert_eq!(schedule.code, 0, "{schedule:?}");
    assert!(!schedule.stdout.contains("dev-web"), "{schedule:?}");

    // A typo in a stack name is not "nothing to do": usage error, with the stacks found.
    let typo = dev.replacen("dev", "dve", 1);
    for command in ["validate", "plan", "apply", "schedule"] {
        let run = mooring(&[command, &dev_path, &prod_path, "--stack", &typo]).await;
        assert_eq!(run.code, USAGE, "{command}: {run:?}");
        assert!(
            run.stderr.contains(&format!(
                "--stack {typo}: no such stack in the desired state (did you mean `{dev}`?)"
            )),
            "{command}: {run:?}"
        );
        assert!(
            run.stderr.contains(&format!("`{dev}`, `{prod}`"))
                || run.stderr.contains(&format!("`{prod}`, `{dev}`")),
            "{command}: {run:?}"
        );
    }
}
