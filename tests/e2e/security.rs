//! Security (issue 9): the account guard refuses a stack declared for another account
//! (or one whose account cannot be verified) before any call that changes anything; no
//! credential, token or subscription secret reaches logs, output or events; a resource
//! tagged by another stack is never modified or deleted. docs/security.md points here.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::fixtures::*;
use crate::reports::*;

const REGION: &str = "us-east-1";

fn stack_yaml(stack: &str, account: &str, body: &str) -> String {
    format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {}\nspec:\n  account: \"{account}\"\n  region: {REGION}\n{body}",
        run_scoped(stack)
    )
}

/// `mooring` with extra environment (credentials, endpoints, log level): stdout, stderr.
async fn mooring_env(env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_mooring"));
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("MOORING_NOW", AWAKE_INSTANT)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("MOORING_LOG")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .kill_on_drop(true);
    let output = tokio::time::timeout(WAIT, command.output())
        .await
        .unwrap_or_else(|_| panic!("mooring {args:?} did not finish within {WAIT:?}"))
        .unwrap_or_else(|e| panic!("running mooring {args:?} failed: {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn report_of(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_for_another_account_is_refused_before_any_call_that_changes_anything() {
    let cluster = unique("secacct");
    let topic = format!("{cluster}-alerts");
    seed_services(REGION, &cluster, &[("web", 3)]).await;
    let body = format!(
        "  topics:\n    {topic}: {{}}\n  services:\n    - {{ cluster: {cluster}, name: web, desiredCount: 1 }}\n"
    );
    let file = DesiredFile::write("stack.yaml", &stack_yaml("wrong", "999999999999", &body));
    let path = file.path.to_string_lossy().into_owned();

    for command in ["plan", "apply"] {
        let (run, report, operations) = run_json(command, &path).await;
        assert_eq!(run.code, 1, "{command} refuses with exit 1: {run:?}");
        let refused = event_for(
            &report,
            "AccountMismatch",
            &format!("stack {}", run_scoped("wrong")),
        );
        assert_eq!(refused["type"], "Warning");
        let message = refused["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("999999999999") && message.contains(ACCOUNT),
            "names both accounts: {message}"
        );
        // One question to STS, nothing else: not a read, let alone a write.
        assert_eq!(
            calls(&report),
            BTreeMap::from([("GetCallerIdentity".to_owned(), 1)]),
            "{command}: {:#}",
            report["calls"]
        );
        assert_eq!(
            mutating(&operations),
            Vec::<String>::new(),
            "{operations:?}"
        );
        assert_eq!(operations, ["GetCallerIdentity"], "{command}");
    }
    assert_eq!(desired_count(REGION, &cluster, "web").await, 3);
    let topics = sns(REGION)
        .await
        .list_topics()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        !topics.topics().iter().any(|t| t
            .topic_arn()
            .is_some_and(|a| a.ends_with(&format!(":{topic}")))),
        "the topic was not created"
    );

    // The right account: applied, with one STS call for the pass.
    std::fs::write(&file.path, stack_yaml("wrong", ACCOUNT, &body))
        .unwrap_or_else(|e| panic!("{e}"));
    let (run, report, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(calls(&report).get("GetCallerIdentity"), Some(&1));
    assert!(events(&report, "AccountMismatch").is_empty());
    assert_eq!(desired_count(REGION, &cluster, "web").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_sts_fails_closed() {
    let cluster = unique("secsts");
    seed_services(REGION, &cluster, &[("web", 3)]).await;
    let body = format!("  services:\n    - {{ cluster: {cluster}, name: web, desiredCount: 1 }}\n");
    let file = DesiredFile::write("stack.yaml", &stack_yaml("blind", ACCOUNT, &body));
    let path = file.path.to_string_lossy().into_owned();
    start_recording();
    let key = unique_access_key();
    // Only STS points at a port nobody listens on; every other service is reachable.
    let run = mooring_env(
        &[
            ("AWS_ACCESS_KEY_ID", &key),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"),
        ],
        &["apply", &path, "--output", "json", "--call-timeout", "10s"],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    let report = report_of(&run);
    let refused = event_for(
        &report,
        "AccountUnverified",
        &format!("stack {}", run_scoped("blind")),
    );
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("GetCallerIdentity") && message.contains(ACCOUNT),
        "says what could not be checked: {message}"
    );
    assert_eq!(mutating(&operations_by(&key)), Vec::<String>::new());
    assert!(writes(&report).is_empty(), "{:#}", report["calls"]);
    assert_eq!(desired_count(REGION, &cluster, "web").await, 3);
}

/// Marker strings that must never be printed: credentials and the endpoint's secrets.
struct Markers {
    access_key: String,
    secret_key: String,
    session_token: String,
    user: String,
    password: String,
    path_token: String,
    query_token: String,
}

impl Markers {
    fn new() -> Self {
        let id = unique("x").replace('-', "").to_uppercase();
        Self {
            access_key: format!("AKIAMARK{id}"),
            secret_key: format!("SECRETKEYMARK{id}"),
            session_token: format!("SESSIONTOKENMARK{id}"),
            user: format!("HOOKUSERMARK{id}"),
            password: format!("HOOKPASSMARK{id}"),
            path_token: format!("PATHTOKENMARK{id}"),
            query_token: format!("QUERYTOKENMARK{id}"),
        }
    }

    fn endpoint(&self) -> String {
        format!(
            "https://{}:{}@hooks.example.com/services/T0/B0/{}?token={}",
            self.user, self.password, self.path_token, self.query_token
        )
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.access_key.as_str()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.as_str()),
            ("AWS_SESSION_TOKEN", self.session_token.as_str()),
            // The most the SDK can say.
            ("RUST_LOG", "trace"),
        ]
    }

    fn assert_absent(&self, what: &str, text: &str) {
        for marker in [
            &self.access_key,
            &self.secret_key,
            &self.session_token,
            &self.user,
            &self.password,
            &self.path_token,
            &self.query_token,
        ] {
            assert!(
                !text.contains(marker.as_str()),
                "{what} contains the secret {marker}:\n{text}"
            );
        }
    }
}

const SHOWN_ENDPOINT: &str = "https://hooks.example.com/services/T0/B0/***?token=***";

#[tokio::test(flavor = "multi_thread")]
async fn no_credential_or_subscription_secret_reaches_logs_output_or_events() {
    let markers = Markers::new();
    let prefix = unique("secscan");
    let topic = format!("{prefix}-alerts");
    seed_services(REGION, &prefix, &[("web", 2)]).await;
    let body = |endpoint: &str| {
        format!(
            "  topics:\n    {topic}:\n      subscriptions:\n        - {{ protocol: https, endpoint: \"{endpoint}\" }}\n  services:\n    - {{ cluster: {prefix}, name: web, desiredCount: 1 }}\n"
        )
    };
    let file = DesiredFile::write(
        "stack.yaml",
        &stack_yaml("scan", ACCOUNT, &body(&markers.endpoint())),
    );
    let path = file.path.to_string_lossy().into_owned();
    let env = markers.env();

    let plan = mooring_env(&env, &["plan", &path]).await;
    assert_eq!(plan.code, 2, "{plan:?}");
    markers.assert_absent("plan's stdout", &plan.stdout);
    markers.assert_absent("plan's stderr", &plan.stderr);
    assert!(
        plan.stdout
            .contains(&format!("+ subscription {topic}/https:{SHOWN_ENDPOINT}")),
        "the endpoint is shown redacted: {plan:?}"
    );

    let apply = mooring_env(&env, &["apply", &path, "--output", "json", "--stats"]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    markers.assert_absent("apply's JSON report", &apply.stdout);
    markers.assert_absent("apply's logs at trace", &apply.stderr);
    let report = report_of(&apply);
    let subscribed = event_for(
        &report,
        "Created",
        &format!("subscription {topic}/https:{SHOWN_ENDPOINT}"),
    );
    assert_eq!(diff_of(subscribed, "endpoint")["after"], SHOWN_ENDPOINT);

    // The subscription exists with its full endpoint: only what is shown is redacted.
    let topic_arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{topic}");
    let subscriptions = topic_subscriptions(REGION, &topic_arn).await;
    let endpoints: Vec<&str> = subscriptions.iter().filter_map(|s| s.endpoint()).collect();
    assert_eq!(endpoints, [markers.endpoint().as_str()]);

    // A new token is a change, found on the full value though both look alike.
    let rotated = markers
        .endpoint()
        .replace(&markers.query_token, &format!("{}2", markers.query_token));
    std::fs::write(&file.path, stack_yaml("scan", ACCOUNT, &body(&rotated)))
        .unwrap_or_else(|e| panic!("{e}"));
    let jsonl = mooring_env(&env, &["apply", &path, "--output", "jsonl"]).await;
    assert_eq!(jsonl.code, 0, "{jsonl:?}");
    markers.assert_absent("apply's event lines", &jsonl.stdout);
    markers.assert_absent("apply's logs", &jsonl.stderr);
    assert!(
        jsonl.stdout.contains("\"Pruned\"") && jsonl.stdout.contains("\"Created\""),
        "{jsonl:?}"
    );

    // A pass of `mooring run` (rotating the token once more, so that it has changes to
    // report), its logs, events and /status.
    let rotated = markers
        .endpoint()
        .replace(&markers.query_token, &format!("{}3", markers.query_token));
    std::fs::write(&file.path, stack_yaml("scan", ACCOUNT, &body(&rotated)))
        .unwrap_or_else(|e| panic!("{e}"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("finding a free port: {e}"));
    let out_path = file.dir.join("run.out");
    let err_path = file.dir.join("run.err");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mooring"))
        .args([
            "run",
            &path,
            "--interval",
            "60m",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("MOORING_NOW", AWAKE_INSTANT)
        .env_remove("AWS_PROFILE")
        .env_remove("MOORING_LOG")
        .envs(env.iter().copied())
        .stdout(Stdio::from(
            std::fs::File::create(&out_path).unwrap_or_else(|e| panic!("{e}")),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(&err_path).unwrap_or_else(|e| panic!("{e}")),
        ))
        .spawn()
        .unwrap_or_else(|e| panic!("starting mooring run: {e}"));
    let started = Instant::now();
    let status = loop {
        let (code, body) = crate::run::get(port, "/status");
        if code == 200 && body.contains("\"passes\":1") && body.contains("subscription") {
            break body;
        }
        assert!(
            started.elapsed() < WAIT,
            "no pass within {WAIT:?}: {code} {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let (_, page) = crate::run::get(port, "/");
    assert!(page.contains("subscription"), "{page}");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let stopped = child.wait();
    assert!(stopped.is_ok_and(|s| s.success()), "run stops cleanly");
    let run_out = std::fs::read_to_string(&out_path).unwrap_or_default();
    let run_err = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(run_out.contains("DesiredStateLoaded"), "{run_out}");
    markers.assert_absent("run's events", &run_out);
    markers.assert_absent("run's logs at trace", &run_err);
    markers.assert_absent("/status", &status);
    markers.assert_absent("the status page", &page);
}

/// An invalid file is quoted back in its errors; a subscription secret on the quoted line
/// must come back redacted (CI posts `validate` and `plan` output in pull requests).
#[tokio::test(flavor = "multi_thread")]
async fn errors_that_quote_a_line_with_a_secret_url_show_it_redacted() {
    let markers = Markers::new();
    // `htps`: an unknown protocol on the very line that holds the endpoint.
    let body = format!(
        "  topics:\n    alerts:\n      subscriptions:\n        - {{ protocol: htps, endpoint: \"{}\" }}\n",
        markers.endpoint()
    );
    let file = DesiredFile::write("stack.yaml", &stack_yaml("quoted", ACCOUNT, &body));
    let path = file.path.to_string_lossy().into_owned();
    for command in ["validate", "plan", "apply"] {
        let run = mooring_env(&[], &[command, &path]).await;
        assert_ne!(run.code, 0, "{command} accepted an invalid file: {run:?}");
        // The error is still located and explained, with the line quoted...
        assert!(
            run.stderr.contains("stack.yaml:11:23:") && run.stderr.contains("htps"),
            "{command}: {run:?}"
        );
        assert!(run.stderr.contains(SHOWN_ENDPOINT), "{command}: {run:?}");
        // ...but none of the endpoint's secrets.
        markers.assert_absent(&format!("{command}'s stderr"), &run.stderr);
        markers.assert_absent(&format!("{command}'s stdout"), &run.stdout);
    }
}
