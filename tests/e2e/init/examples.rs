//! The shipped examples' accounts, built by mooring, through init and back: as mooring
//! left them (no change planned), and stripped of mooring's tags and markers (only
//! adoption planned); a snapshot of one file.

use crate::fixtures::*;
use crate::plan_golden::names::{token, with_token};

use super::{clusters_of, init_to, planned};

#[tokio::test(flavor = "multi_thread")]
async fn init_of_each_examples_account_plans_no_change() {
    let examples = repo_root().join("desired-state/examples");
    let mut paths: Vec<_> = std::fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    for example in paths {
        let token = token();
        let yaml = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{e}"));
        let file = DesiredFile::write("built.yaml", &with_token(&yaml, &token));
        let desired = desired_state::load(&[&file.path]).unwrap_or_else(|e| panic!("{e}"));
        let stack = &desired.stacks[0];
        let region = stack.region.clone().unwrap_or_else(|| "us-east-1".into());
        for service in &stack.services {
            seed_services(&region, &service.cluster, &[(service.name.as_str(), 0)]).await;
        }
        // The account, built by mooring from the example.
        let built = mooring(&["apply", &file.path.to_string_lossy()]).await;
        assert!(built.code == 0 || built.code == 1, "{example:?}: {built:?}");

        let out = file.dir.join("init.yaml");
        let mut args = vec!["--region", region.as_str(), "--stack", stack.name.as_str()];
        let clusters = clusters_of(stack);
        for cluster in &clusters {
            args.extend(["--cluster", cluster.as_str()]);
        }
        init_to(&out, &args).await;
        let written = std::fs::read_to_string(&out).unwrap_or_default();
        let validate = mooring(&["validate", &out.to_string_lossy()]).await;
        assert_eq!(validate.code, 0, "{example:?}:\n{written}\n{validate:?}");
        let (code, changes, report) = planned(&out).await;
        assert!(
            changes.is_empty() && code == 0,
            "{example:?}: init of the account mooring built plans changes:\n{written}\n{changes:#?}\n{report:#}"
        );
        let applied = mooring(&["apply", &out.to_string_lossy()]).await;
        assert_eq!(applied.code, 0, "{example:?}: {applied:?}");
        let (code, changes, _) = planned(&out).await;
        assert!(changes.is_empty() && code == 0, "{example:?}: {changes:#?}");
    }
}

/// Takes every trace of mooring off what it built for `stack` (names starting with
/// `token`): the services' and clusters' `mooring:` tags, the topics' tags, the alarms'
/// tags and description markers (the alarm is put again without it, as the console
/// would). The account then looks like one nobody manages.
async fn forget_mooring(region: &str, stack: &desired_state::Stack, token: &str) {
    let client = ecs(region).await;
    for service in &stack.services {
        let described = client
            .describe_services()
            .cluster(&service.cluster)
            .services(&service.name)
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        for found in described.services() {
            let keys: Vec<String> = found
                .tags()
                .iter()
                .filter_map(|t| {
                    t.key()
                        .filter(|k| k.starts_with("mooring:"))
                        .map(str::to_owned)
                })
                .collect();
            let arn = found.service_arn().unwrap_or_default().to_owned();
            if !keys.is_empty() {
                client
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}"));
            }
            if let Some((prefix, _)) = arn.split_once(":service/") {
                client
                    .untag_resource()
                    .resource_arn(format!("{prefix}:cluster/{}", service.cluster))
                    .tag_keys(format!("mooring:stack:{}", stack.name))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}"));
            }
        }
    }
    let sns = sns(region).await;
    let topics = sns
        .list_topics()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for arn in topics.topics().iter().filter_map(|t| t.topic_arn()) {
        if !arn.rsplit(':').next().is_some_and(|n| n.starts_with(token)) {
            continue;
        }
        let tags = sns
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let keys: Vec<String> = tags
            .tags()
            .iter()
            .map(|t| t.key().to_owned())
            .filter(|k| k.starts_with("mooring:"))
            .collect();
        if !keys.is_empty() {
            sns.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
    }
    let cloudwatch = cloudwatch(region).await;
    let alarms = cloudwatch
        .describe_alarms()
        .alarm_name_prefix(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for alarm in alarms.metric_alarms() {
        let name = alarm.alarm_name().unwrap_or_default();
        let description = alarm.alarm_description().unwrap_or_default();
        let declared = match description.rfind("[mooring:stack=") {
            Some(at) => description[..at].trim_end(),
            None => description,
        };
        cloudwatch
            .put_metric_alarm()
            .alarm_name(name)
            .set_alarm_description((!declared.is_empty()).then(|| declared.to_owned()))
            .set_namespace(alarm.namespace().map(str::to_owned))
            .set_metric_name(alarm.metric_name().map(str::to_owned))
            .set_dimensions(Some(alarm.dimensions().to_vec()))
            .set_statistic(alarm.statistic().cloned())
            .set_extended_statistic(alarm.extended_statistic().map(str::to_owned))
            .set_unit(alarm.unit().cloned())
            .set_period(alarm.period())
            .set_evaluation_periods(alarm.evaluation_periods())
            .set_datapoints_to_alarm(alarm.datapoints_to_alarm())
            .set_threshold(alarm.threshold())
            .set_comparison_operator(alarm.comparison_operator().cloned())
            .set_treat_missing_data(alarm.treat_missing_data().map(str::to_owned))
            .set_metrics((!alarm.metrics().is_empty()).then(|| alarm.metrics().to_vec()))
            .set_alarm_actions(Some(alarm.alarm_actions().to_vec()))
            .set_ok_actions(Some(alarm.ok_actions().to_vec()))
            .set_insufficient_data_actions(Some(alarm.insufficient_data_actions().to_vec()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("putting {name} again: {e:?}"));
        cloudwatch
            .untag_resource()
            .resource_arn(alarm.alarm_arn().unwrap_or_default())
            .tag_keys("mooring:stack")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
}

/// Each example's account as nobody manages it (built by mooring under a throwaway
/// stack, then every tag and marker of mooring taken off): init under another stack
/// name writes `adopt: true`, the plan only adopts (reason Adopted), the apply takes
/// it over and the next plan is empty.
#[tokio::test(flavor = "multi_thread")]
async fn init_of_each_examples_account_nobody_manages_plans_only_adoption() {
    let examples = repo_root().join("desired-state/examples");
    let mut paths: Vec<_> = std::fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    for example in paths {
        let token = token();
        let yaml = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{e}"));
        let file = DesiredFile::write("built.yaml", &with_token(&yaml, &token));
        let desired = desired_state::load(&[&file.path]).unwrap_or_else(|e| panic!("{e}"));
        let stack = &desired.stacks[0];
        let region = stack.region.clone().unwrap_or_else(|| "us-east-1".into());
        for service in &stack.services {
            seed_services(&region, &service.cluster, &[(service.name.as_str(), 0)]).await;
        }
        let built = mooring(&["apply", &file.path.to_string_lossy()]).await;
        assert!(built.code == 0 || built.code == 1, "{example:?}: {built:?}");
        forget_mooring(&region, stack, &token).await;

        let out = file.dir.join("init.yaml");
        let adopted = format!("{token}-adopted");
        let mut args = vec!["--region", region.as_str(), "--stack", adopted.as_str()];
        args.extend(["--alarm-prefix", token.as_str()]);
        let clusters = clusters_of(stack);
        for cluster in &clusters {
            args.extend(["--cluster", cluster.as_str()]);
        }
        let run = init_to(&out, &args).await;
        let written = std::fs::read_to_string(&out).unwrap_or_default();
        let context = format!("{example:?}: {run:?}\n{written}");
        // Alarms, topics and scalable targets are taken over (a service alone needs no
        // adoption: its first apply claims it).
        let adoptable = ["alarms:", "topics:", "autoscaling:"];
        if adoptable.iter().any(|key| written.contains(key)) {
            assert!(written.contains("adopt: true\n"), "{context}");
        }
        let validate = mooring(&["validate", &out.to_string_lossy()]).await;
        assert_eq!(validate.code, 0, "{context}\n{validate:?}");
        let (_, changes, report) = planned(&out).await;
        assert!(
            changes.iter().all(|(reason, _)| reason == "Adopted"),
            "{context}\n{changes:#?}\n{report:#}"
        );
        let applied = mooring(&["apply", &out.to_string_lossy()]).await;
        assert_eq!(applied.code, 0, "{context}\n{applied:?}");
        let (code, changes, _) = planned(&out).await;
        assert!(changes.is_empty() && code == 0, "{context}\n{changes:#?}");
    }
}

/// The random id Application Auto Scaling puts at the end of its alarms' names.
fn without_alarm_uuid(line: &str) -> String {
    for marker in ["-AlarmHigh-", "-AlarmLow-"] {
        if let Some((before, after)) = line.split_once(marker) {
            let rest = after.split_once(',').map_or("", |(_, rest)| rest);
            return format!("{before}{marker}<uuid>,{rest}");
        }
    }
    line.to_owned()
}

/// The file init writes for the saas example's account (untagged, as a new user meets
/// it), for reviewers: the idiomatic form (defaults dropped, `5m`, `>`, alarms under
/// their service, topic names, `adopt: true`).
#[tokio::test(flavor = "multi_thread")]
async fn init_writes_the_idiomatic_form_snapshot() {
    let token = token();
    let example = repo_root().join("desired-state/examples/saas.yaml");
    let yaml = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{e}"));
    let file = DesiredFile::write("saas.yaml", &with_token(&yaml, &token));
    let desired = desired_state::load(&[&file.path]).unwrap_or_else(|e| panic!("{e}"));
    let stack = &desired.stacks[0];
    let region = stack.region.clone().unwrap_or_else(|| "us-east-1".into());
    for service in &stack.services {
        seed_services(&region, &service.cluster, &[(service.name.as_str(), 0)]).await;
    }
    let built = mooring(&["apply", &file.path.to_string_lossy()]).await;
    assert_eq!(built.code, 0, "{built:?}");
    // As an account nobody manages yet: what a new user runs init on.
    forget_mooring(&region, stack, &token).await;
    let mut args = vec![
        "init",
        "--region",
        region.as_str(),
        "--stack",
        stack.name.as_str(),
        "--alarm-prefix",
        token.as_str(),
    ];
    let clusters = clusters_of(stack);
    for cluster in &clusters {
        args.extend(["--cluster", cluster.as_str()]);
    }
    let run = mooring(&args).await;
    assert_eq!(run.code, 0, "{run:?}");
    let text: String = run
        .stdout
        .replace(&format!("{token}-"), "")
        .lines()
        .map(|line| {
            if line.starts_with("# Generated by `mooring init` at ") {
                "# Generated by `mooring init` at <time> from account 123456789012, region me-south-1.".to_owned()
            } else {
                without_alarm_uuid(line)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("init_saas", text);
}
