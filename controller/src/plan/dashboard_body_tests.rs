use std::path::PathBuf;

use serde_json::json;

use super::*;

fn stack(yaml: &str) -> Stack {
    match desired_state::parse_sources(&[(PathBuf::from("test.yaml"), yaml.to_owned())]) {
        Ok(mut desired) => desired.stacks.remove(0),
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    }
}

const GENERATED: &str = r#"
apiVersion: mooring/v1
kind: Stack
metadata: { name: shop }
spec:
  region: us-east-1
  services:
    - cluster: shop
      name: web
      desiredCount: 1
      alarms:
        shop-web-cpu: { metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 1, threshold: 80, comparison: ">" }
  alarms:
    shop-alb-5xx:
      namespace: AWS/ApplicationELB
      metric: HTTPCode_Target_5XX_Count
      dimensions: { LoadBalancer: app/shop/abc }
      statistic: Sum
      period: 60s
      evaluationPeriods: 1
      threshold: 5
      comparison: ">"
    shop-db-cpu:
      namespace: AWS/RDS
      metric: CPUUtilization
      dimensions: { DBInstanceIdentifier: shop-db }
      statistic: Average
      period: 300s
      evaluationPeriods: 1
      threshold: 80
      comparison: ">"
  dashboards:
    shop-overview: { generated: true }
"#;

const PLACE: Place<'static> = Place {
    region: "us-east-1",
    alarm_arn_prefix: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:",
};

fn titles(body: &Value) -> Vec<String> {
    body["widgets"]
        .as_array()
        .map(|widgets| {
            widgets
                .iter()
                .filter_map(|w| w["properties"]["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_generated_body_follows_what_the_stack_declares() {
    let stack = stack(GENERATED);
    let dashboard = &stack.dashboards["shop-overview"];
    let body = declared_body(&stack, dashboard, &PLACE);
    assert_eq!(
        titles(&body),
        [
            "Alarms of shop",
            "shop/web: CPU and memory (%)",
            "shop/web: running tasks",
            "app/shop/abc: requests and target 5xx",
            "app/shop/abc: target response time (s)",
            "shop-db: CPU (%)",
            "shop-db: connections",
        ]
    );
    assert_eq!(
        body["widgets"][0]["properties"]["alarms"],
        json!([
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-alb-5xx",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-db-cpu",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-web-cpu",
        ])
    );
    assert_eq!(
        body["widgets"][2]["properties"]["metrics"],
        json!([[
            "ECS/ContainerInsights",
            "RunningTaskCount",
            "ClusterName",
            "shop",
            "ServiceName",
            "web"
        ]])
    );
    // Deterministic: the same file gives the same JSON, byte for byte.
    let again = declared_body(&stack, dashboard, &PLACE);
    assert_eq!(body.to_string(), again.to_string());
}

#[test]
fn no_alarm_naming_a_balancer_or_database_means_no_such_graphs() {
    let yaml = GENERATED
        .replace("LoadBalancer: app/shop/abc", "TargetGroup: tg")
        .replace("DBInstanceIdentifier: shop-db", "DBClusterIdentifier: c");
    let stack = stack(&yaml);
    let body = declared_body(&stack, &stack.dashboards["shop-overview"], &PLACE);
    assert_eq!(
        titles(&body),
        [
            "Alarms of shop",
            "shop/web: CPU and memory (%)",
            "shop/web: running tasks"
        ]
    );
}

#[test]
fn key_order_and_number_spelling_do_not_make_a_difference() {
    let declared = normalize(
        &json!({"widgets": [{"type": "text", "width": 6, "height": 6, "properties": {"markdown": "hi"}}]}),
    );
    let read: Value = serde_json::from_str(
        r#"{"widgets":[{"properties":{"markdown":"hi"},"height":6.0,"width":6e0,"type":"text"}]}"#,
    )
    .expect("json");
    let (read, marker) = split_marker(&read);
    assert_eq!(read, declared);
    assert_eq!(marker, None);
    let fraction: Value = serde_json::from_str(r#"{"a": 1.5}"#).expect("json");
    assert_eq!(normalize(&fraction), json!({"a": 1.5}));
}

#[test]
fn the_marker_is_left_out_of_the_comparison_and_read_back() {
    let declared = normalize(
        &json!({"widgets": [{"type": "text", "width": 6, "height": 6, "properties": {"markdown": "hi"}}]}),
    );
    let marker = Marker {
        stack: "shop".into(),
        digest: "0123456789abcdef".into(),
    };
    let put = with_marker(&declared, &marker);
    assert_eq!(put["widgets"].as_array().map(Vec::len), Some(2));
    let (read, found) = split_marker(&put);
    assert_eq!(read, declared);
    assert_eq!(found, Some(marker));
}
