"""The emulated account of the reliability run: what is seeded before mooring runs, and a
normalized dump of what is there afterwards (boto3, straight to moto, never through the
fault proxy).

Seeded, all in me-south-1 (the saas example's region) and cluster saas-prod:
- the example's services, saas-backend and saas-worker, as a deploy pipeline creates them;
- resources of ANOTHER stack (billing-prod), tagged mooring:stack=billing-prod: service
  saas-billing with a scalable target and a policy, alarm saas-billing-cpu-high, topic
  saas-billing-alerts with a subscription, and alarm saas-decoy-cpu-high whose description
  carries saas-prod's marker (copied by hand) while its tag says billing-prod: a marker
  alone must never make mooring delete anything;
- unmanaged resources (no stack tag): service saas-cron, alarm saas-legacy-latency, topic
  saas-manual with a subscription.
Every alarm and topic name starts with `saas-`, the prefix mooring scans for saas-prod, so
all of them are prune candidates mooring looks at and must leave alone.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter

import boto3
from botocore.config import Config

REGION = "me-south-1"
CLUSTER = "saas-prod"
STACK = "saas-prod"
OTHER_STACK = "billing-prod"
STACK_TAG = "mooring:stack"
EXAMPLE_SERVICES = {"saas-backend": 0, "saas-worker": 0}
OTHER_SERVICES = {"saas-billing": (3, {STACK_TAG: OTHER_STACK}), "saas-cron": (1, {})}
OTHER_ALARMS = ("saas-billing-cpu-high", "saas-decoy-cpu-high", "saas-legacy-latency")
OTHER_TOPICS = ("saas-billing-alerts", "saas-manual")
# moto names the alarms of a target-tracking policy TargetTracking-<resource>-AlarmHigh-<uuid>
# and leaves the old ones behind when the policy is put again (AWS replaces them).
TARGET_TRACKING = re.compile(r"^TargetTracking-")


def clients(endpoint: str) -> dict:
    config = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 3})
    make = lambda name: boto3.client(  # noqa: E731 - four clients, one shape
        name,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="mooring-seed",
        aws_secret_access_key="testing",
        config=config,
    )
    return {name: make(name) for name in ("ecs", "application-autoscaling", "cloudwatch", "sns")}


def seed(endpoint: str) -> None:
    """Creates the services the example declares and the other stack's and unmanaged
    resources. The emulator is expected to be empty (reset)."""
    c = clients(endpoint)
    ecs, aas, cw, sns = c["ecs"], c["application-autoscaling"], c["cloudwatch"], c["sns"]
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(
        family="saas",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "public.ecr.aws/nginx/nginx:stable", "essential": True}],
    )
    services = {name: (count, {}) for name, count in EXAMPLE_SERVICES.items()} | OTHER_SERVICES
    for name, (count, tags) in services.items():
        kwargs = {"tags": [{"key": k, "value": v} for k, v in tags.items()]} if tags else {}
        ecs.create_service(
            cluster=CLUSTER, serviceName=name, taskDefinition="saas", desiredCount=count, launchType="FARGATE", **kwargs
        )
    billing = f"service/{CLUSTER}/saas-billing"
    aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId=billing, ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=5
    )
    aas.put_scaling_policy(
        PolicyName="billing-cpu60",
        ServiceNamespace="ecs",
        ResourceId=billing,
        ScalableDimension="ecs:service:DesiredCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        },
    )
    billing_topic = sns.create_topic(Name="saas-billing-alerts", Tags=[{"Key": STACK_TAG, "Value": OTHER_STACK}])["TopicArn"]
    sns.subscribe(TopicArn=billing_topic, Protocol="email", Endpoint="billing@example.com")
    manual_topic = sns.create_topic(Name="saas-manual")["TopicArn"]
    sns.subscribe(TopicArn=manual_topic, Protocol="https", Endpoint="https://hooks.example.com/manual")
    alarm = dict(
        Namespace="AWS/ECS",
        MetricName="CPUUtilization",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=2,
        Threshold=75.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    other_tags = [{"Key": STACK_TAG, "Value": OTHER_STACK}]
    billing_dims = [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ServiceName", "Value": "saas-billing"}]
    cw.put_metric_alarm(
        AlarmName="saas-billing-cpu-high",
        AlarmDescription=f"billing CPU [{STACK_TAG}={OTHER_STACK} 0123456789abcdef]",
        AlarmActions=[billing_topic],
        Dimensions=billing_dims,
        Tags=other_tags,
        **alarm,
    )
    cw.put_metric_alarm(
        AlarmName="saas-decoy-cpu-high",
        AlarmDescription=f"copied by hand [{STACK_TAG}={STACK} 0123456789abcdef]",
        Dimensions=billing_dims,
        Tags=other_tags,
        **alarm,
    )
    cw.put_metric_alarm(
        AlarmName="saas-legacy-latency",
        AlarmDescription="made in the console",
        Dimensions=[{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ServiceName", "Value": "saas-cron"}],
        **alarm,
    )


def scale(endpoint: str, service: str, count: int) -> None:
    """The autoscaler (or a person) changes a count behind mooring's back."""
    clients(endpoint)["ecs"].update_service(cluster=CLUSTER, service=service, desiredCount=count)


def untag_service(endpoint: str, service: str, key: str) -> None:
    ecs = clients(endpoint)["ecs"]
    arn = ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]["serviceArn"]
    ecs.untag_resource(resourceArn=arn, tagKeys=[key])


def set_alarm_threshold(endpoint: str, name: str, threshold: float) -> None:
    """Edits an alarm in place (the self-test's 'someone touched another stack')."""
    cw = clients(endpoint)["cloudwatch"]
    found = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    keep = ("AlarmName", "AlarmDescription", "AlarmActions", "Namespace", "MetricName", "Statistic", "Period",
            "EvaluationPeriods", "ComparisonOperator", "Dimensions")
    cw.put_metric_alarm(Threshold=threshold, **{k: found[k] for k in keep if k in found})


def dump(endpoint: str) -> dict:
    """The account's state, normalized: no ARNs with random parts, no timestamps, no
    alarm states; lists sorted. Duplicates are kept visible (lists, not maps)."""
    c = clients(endpoint)
    alarm_state, target_tracking = alarms(c["cloudwatch"])
    return {
        "services": services(c["ecs"]),
        **autoscaling(c["application-autoscaling"]),
        "alarms": alarm_state,
        "topics": topics(c["sns"]),
        # Not compared (keys starting with _): moto leaves a target-tracking policy's old
        # alarms behind when the policy is put again, AWS replaces them.
        "_targetTrackingAlarms": target_tracking,
    }


def services(ecs) -> dict:
    arns = []
    for page in ecs.get_paginator("list_services").paginate(cluster=CLUSTER):
        arns += page["serviceArns"]
    found = {}
    for i in range(0, len(arns), 10):
        for svc in ecs.describe_services(cluster=CLUSTER, services=arns[i : i + 10], include=["TAGS"])["services"]:
            if svc["status"] != "ACTIVE":
                continue
            found[svc["serviceName"]] = {
                "desiredCount": svc["desiredCount"],
                "tags": {t["key"]: t["value"] for t in svc.get("tags", [])},
            }
    return dict(sorted(found.items()))


def autoscaling(aas) -> dict:
    targets = {}
    for t in aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
        s = t.get("SuspendedState", {})
        targets[t["ResourceId"]] = {
            "min": t["MinCapacity"],
            "max": t["MaxCapacity"],
            "suspended": {k: bool(s.get(k, False)) for k in ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")},
        }
    registered = set(targets)
    policies = []
    for p in aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]:
        # moto keeps the policies of a deregistered target (AWS deletes them): only those of
        # registered targets exist as far as AWS (and mooring) are concerned.
        if p["ResourceId"] not in registered:
            continue
        config = p.get("TargetTrackingScalingPolicyConfiguration") or p.get("StepScalingPolicyConfiguration") or {}
        policies.append({"resource": p["ResourceId"], "name": p["PolicyName"], "type": p["PolicyType"], "config": config,
                         "alarms": len(p.get("Alarms", []))})
    actions = []
    for a in aas.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"]:
        if a["ResourceId"] not in registered:
            continue
        actions.append({"resource": a["ResourceId"], "name": a["ScheduledActionName"], "schedule": a.get("Schedule"),
                        "timezone": a.get("Timezone"), "action": a.get("ScalableTargetAction", {})})
    key = lambda x: (x["resource"], x["name"])  # noqa: E731
    return {"targets": dict(sorted(targets.items())), "policies": sorted(policies, key=key),
            "scheduledActions": sorted(actions, key=key)}


ALARM_FIELDS = ("AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
                "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Unit", "EvaluationPeriods",
                "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "Metrics", "AlarmRule")


def alarms(cw) -> tuple[dict, int]:
    found = {}
    target_tracking = 0
    response = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    for alarm in response.get("MetricAlarms", []) + response.get("CompositeAlarms", []):
        name = alarm["AlarmName"]
        if TARGET_TRACKING.match(name):
            target_tracking += 1
            continue
        entry = {k: alarm[k] for k in ALARM_FIELDS if k in alarm}
        if "Dimensions" in alarm:
            entry["Dimensions"] = sorted((d["Name"], d["Value"]) for d in alarm["Dimensions"])
        tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags", [])
        entry["tags"] = {t["Key"]: t["Value"] for t in tags}
        found[name] = entry
    return dict(sorted(found.items())), target_tracking


TOPIC_ATTRIBUTES = ("DisplayName", "DeliveryPolicy", "KmsMasterKeyId", "FifoTopic")


def topics(sns) -> dict:
    found = {}
    for page in sns.get_paginator("list_topics").paginate():
        for t in page["Topics"]:
            arn = t["TopicArn"]
            name = arn.rsplit(":", 1)[-1]
            attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
            tags = sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
            subs = []
            for sp in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
                for s in sp["Subscriptions"]:
                    sattrs = sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"]
                    subs.append({
                        "protocol": s["Protocol"],
                        "endpoint": s["Endpoint"],
                        "rawMessageDelivery": sattrs.get("RawMessageDelivery", "false"),
                        "filterPolicy": json.loads(sattrs["FilterPolicy"]) if sattrs.get("FilterPolicy") else None,
                    })
            found[name] = {
                "attributes": {k: attrs[k] for k in TOPIC_ATTRIBUTES if attrs.get(k)},
                "tags": {t["Key"]: t["Value"] for t in tags},
                "subscriptions": sorted(subs, key=lambda s: (s["protocol"], s["endpoint"])),
            }
    return dict(sorted(found.items()))


def duplicates(state: dict) -> list[str]:
    """Two of something there should be one of."""
    found = []
    for (resource, name), n in Counter((p["resource"], p["name"]) for p in state["policies"]).items():
        if n > 1:
            found.append(f"{n} scaling policies named {name} on {resource}")
    for (resource, name), n in Counter((a["resource"], a["name"]) for a in state["scheduledActions"]).items():
        if n > 1:
            found.append(f"{n} scheduled actions named {name} on {resource}")
    for topic, t in state["topics"].items():
        for (protocol, endpoint), n in Counter((s["protocol"], s["endpoint"]) for s in t["subscriptions"]).items():
            if n > 1:
                found.append(f"{n} {protocol} subscriptions of {endpoint} on topic {topic}")
    return found


def others(state: dict) -> dict:
    """The part of the account that belongs to another stack or to nobody."""
    billing = f"service/{CLUSTER}/saas-billing"
    return {
        "services": {k: v for k, v in state["services"].items() if k in OTHER_SERVICES},
        "targets": {k: v for k, v in state["targets"].items() if k == billing},
        "policies": [p for p in state["policies"] if p["resource"] == billing],
        "alarms": {k: v for k, v in state["alarms"].items() if k in OTHER_ALARMS},
        "topics": {k: v for k, v in state["topics"].items() if k in OTHER_TOPICS},
    }


# Tags that record the wall-clock time of a run (plan/clock.rs), never equal across runs.
WALL_CLOCK_TAGS = frozenset({"mooring:asleep-since"})


def differences(expected, actual, path: str = "") -> list[str]:
    """Where two dumps differ, as readable paths (first 20)."""
    out: list[str] = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            if str(key).startswith("_"):
                continue
            if key not in actual:
                out.append(f"{path}/{key}: missing (expected {json.dumps(expected[key], default=str)[:120]})")
            elif key not in expected:
                out.append(f"{path}/{key}: unexpected {json.dumps(actual[key], default=str)[:120]}")
            elif key in WALL_CLOCK_TAGS:
                # When the sleep was recorded, by the wall clock of the run that recorded it
                # (not `--now`): present on both sides is all two runs can agree on.
                continue
            else:
                out += differences(expected[key], actual[key], f"{path}/{key}")
    elif expected != actual:
        out.append(f"{path}: expected {json.dumps(expected, default=str)[:160]}, found {json.dumps(actual, default=str)[:160]}")
    return out[:20]


def reset(endpoint: str) -> None:
    """Forgets every resource (moto's POST /moto-api/reset)."""
    req = urllib.request.Request(endpoint.rstrip("/") + "/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()
