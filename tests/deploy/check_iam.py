#!/usr/bin/env python3
"""The IAM policy in deploy/iam/ grants exactly what mooring calls.

Reads the call log of a whole test-suite run (MOORING_CALL_LOG: one `<sdk service>\\t
<operation>` line per AWS request, from every mooring process), maps each operation to
the IAM action it needs, renders the policy templates with sample values, and fails when
(a) an operation was called that the policy does not grant, or (b) the policy grants an
action the suite never made mooring call. It also refuses a policy that is not plain
least-privilege by construction: wildcard actions, a Resource of another service than
the statement's actions, or "*" without a Sid saying the actions allow no resource scoping.

    tests/deploy/check_iam.py CALL_LOG         # exit 0 exact, 1 mismatches, 2 unusable input
    tests/deploy/check_iam.py --self-test      # proves it rejects what it should

Stdlib only.
"""

import argparse
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "deploy", "iam"))

from render import RenderError, render_policy  # noqa: E402

IAM_DIR = os.path.join(ROOT, "deploy", "iam")
TEMPLATES = ("mooring.json.tftpl", "desired-state-s3.json.tftpl")

# Sample values for every variable of the fixed template interface.
SAMPLE_VARIABLES = {
    "partition": "aws",
    "region": "us-east-1",
    "account_id": "123456789012",
    "ecs_service_arns_json": json.dumps(
        ["arn:aws:ecs:us-east-1:123456789012:service/portfolio-dev/*"]
    ),
    "alarm_name_prefix": "portfolio-",
    "topic_name_prefix": "portfolio-",
    "desired_state_object_arn": "arn:aws:s3:::my-bucket/mooring/stack.yaml",
}

# The SDK's service name (aws_smithy Metadata::service) → the IAM service prefix.
SERVICE_PREFIXES = {
    "ECS": "ecs",
    "Application Auto Scaling": "application-autoscaling",
    "CloudWatch": "cloudwatch",
    "SNS": "sns",
    "S3": "s3",
    "STS": "sts",
    "Lambda": "lambda",
}

# Operations whose IAM action is not `<prefix>:<Operation>`. None: no permission needed.
EXCEPTIONS = {
    ("S3", "HeadObject"): "s3:GetObject",
    # Anyone may ask who they are; an explicit deny cannot even stop it.
    ("STS", "GetCallerIdentity"): None,
}

# Which resource ARNs each prefix's actions may name (`arn:<partition>:<service>:`).
ARN_SERVICE = {prefix: prefix for prefix in SERVICE_PREFIXES.values()}

NO_SCOPING_SID = "NoResourceScoping"


class CheckError(Exception):
    """Input the check cannot judge (exit 2)."""


def action_for(service, operation):
    """The IAM action an SDK operation needs, or None; CheckError when the service is unknown."""
    if (service, operation) in EXCEPTIONS:
        return EXCEPTIONS[(service, operation)]
    prefix = SERVICE_PREFIXES.get(service)
    if prefix is None:
        raise CheckError(
            f"unknown SDK service {service!r}: add its IAM prefix to SERVICE_PREFIXES in {__file__}"
        )
    return f"{prefix}:{operation}"


def read_call_log(path):
    """{IAM action: requests}; CheckError naming file:line for anything unreadable."""
    called = {}
    problems = []
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        raise CheckError(f"{path}: {error.strerror}") from None
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if len(fields) != 2 or not all(fields):
            problems.append(f"{path}:{number}:1: expected `<service>\\t<operation>`, found {line!r}")
            continue
        try:
            action = action_for(*fields)
        except CheckError as error:
            problems.append(f"{path}:{number}:1: {error}")
            continue
        if action is not None:
            called[action] = called.get(action, 0) + 1
    if problems:
        raise CheckError("\n".join(problems))
    if not called:
        raise CheckError(
            f"{path}: no AWS request recorded: was MOORING_CALL_LOG exported to the test suite?"
        )
    return called


def as_list(value):
    return value if isinstance(value, list) else [value]


def granted_actions(policies):
    """{action: [where]} over every Allow statement; the shape problems found on the way."""
    granted = {}
    problems = []
    for source, policy in policies:
        statements = policy.get("Statement") if isinstance(policy, dict) else None
        if not isinstance(statements, list):
            problems.append(f"{source}: no Statement list")
            continue
        for index, statement in enumerate(statements):
            sid = statement.get("Sid", "")
            where = f"{source}: statement {sid or index}"
            if statement.get("Effect") != "Allow":
                problems.append(f"{where}: only Allow statements are expected")
                continue
            if not sid:
                problems.append(f"{where}: every statement needs a Sid saying what it is for")
            resources = as_list(statement.get("Resource", []))
            if not resources:
                problems.append(f"{where}: no Resource")
            if "*" in resources and NO_SCOPING_SID not in sid:
                problems.append(
                    f"{where}: Resource \"*\" needs a Sid containing {NO_SCOPING_SID!r} "
                    "(only for actions that support no resource-level permissions)"
                )
            for action in as_list(statement.get("Action", [])):
                if "*" in action or "?" in action:
                    problems.append(f"{where}: wildcard action {action!r}: list exact actions")
                    continue
                prefix = action.split(":", 1)[0]
                for resource in resources:
                    if resource == "*":
                        continue
                    parts = resource.split(":")
                    if len(parts) < 6 or parts[0] != "arn" or parts[2] != ARN_SERVICE.get(prefix):
                        problems.append(
                            f"{where}: {action} cannot apply to {resource!r} "
                            f"(expected an arn:<partition>:{ARN_SERVICE.get(prefix, prefix)}:… resource)"
                        )
                granted.setdefault(action, []).append(where)
    return granted, problems


def load_policies(iam_dir, variables):
    policies = []
    problems = []
    for name in TEMPLATES:
        path = os.path.join(iam_dir, name)
        try:
            policies.append((os.path.relpath(path, ROOT), render_policy(path, variables)))
        except RenderError as error:
            problems.extend(error.problems)
        except OSError as error:
            problems.append(f"{path}: {error.strerror}")
    if problems:
        raise CheckError("\n".join(problems))
    return policies


def check(log_path, iam_dir=IAM_DIR):
    """The list of problems (empty: the policy is exact). CheckError for unusable input."""
    called = read_call_log(log_path)
    granted, problems = granted_actions(load_policies(iam_dir, SAMPLE_VARIABLES))
    # The documented edge values must render to a valid policy too: empty prefixes (all
    # alarms, all topics) and a role for every region.
    edge = {"alarm_name_prefix": "", "topic_name_prefix": "", "region": "*"}
    load_policies(iam_dir, {**SAMPLE_VARIABLES, **edge})
    for action in sorted(set(called) - set(granted)):
        problems.append(
            f"called but not granted: {action} ({called[action]} request(s) in the suite)"
        )
    for action in sorted(set(granted) - set(called)):
        problems.append(
            f"granted but never called by the test suite: {action} ({granted[action][0]}); "
            "add a test that makes mooring call it, or remove it from the policy"
        )
    return problems, called


def self_test():
    """Feeds the check crafted logs and policies; returns the failures of the check itself."""
    failures = []
    exact_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ScaleServices",
                "Effect": "Allow",
                "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
                "Resource": "${ecs_service_arns_json}",
            },
            {
                "Sid": "FindTopicsNoResourceScoping",
                "Effect": "Allow",
                "Action": ["sns:ListTopics"],
                "Resource": "*",
            },
        ],
    }
    s3_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadTheDesiredState",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": "${desired_state_object_arn}",
            }
        ],
    }
    exact_log = (
        "ECS\tDescribeServices\nECS\tUpdateService\nSNS\tListTopics\n"
        "S3\tHeadObject\nSTS\tGetCallerIdentity\n"
    )

    def run(name, log, policy, s3=s3_policy, expect=None, expect_error=None):
        with tempfile.TemporaryDirectory() as tmp:
            log_path = os.path.join(tmp, "calls.log")
            with open(log_path, "w", encoding="utf-8") as handle:
                handle.write(log)
            for file_name, content in zip(TEMPLATES, (policy, s3)):
                text = content if isinstance(content, str) else json.dumps(content, indent=2)
                # The ARN list is substituted unquoted, as in the real template.
                text = text.replace('"${ecs_service_arns_json}"', "${ecs_service_arns_json}")
                with open(os.path.join(tmp, file_name), "w", encoding="utf-8") as handle:
                    handle.write(text)
            try:
                problems, _ = check(log_path, tmp)
            except CheckError as error:
                if expect_error is None or expect_error not in str(error):
                    failures.append(f"{name}: unexpected input error: {error}")
                return
            if expect_error is not None:
                failures.append(f"{name}: expected an input error with {expect_error!r}, got {problems}")
            elif expect is None and problems:
                failures.append(f"{name}: expected no problem, got {problems}")
            elif expect is not None and not any(expect in p for p in problems):
                failures.append(f"{name}: expected a problem with {expect!r}, got {problems}")

    run("an exact policy passes", exact_log, exact_policy)
    run(
        "a call the policy lacks",
        exact_log + "ECS\tTagResource\n",
        exact_policy,
        expect="called but not granted: ecs:TagResource",
    )
    extra = json.loads(json.dumps(exact_policy))
    extra["Statement"][0]["Action"].append("ecs:UntagResource")
    run("a grant never used", exact_log, extra, expect="granted but never called by the test suite: ecs:UntagResource")
    run(
        "S3 HeadObject needs s3:GetObject",
        exact_log.replace("S3\tHeadObject\n", ""),
        exact_policy,
        expect="granted but never called by the test suite: s3:GetObject",
    )
    run("an unknown service", exact_log + "Kinesis\tPutRecord\n", exact_policy, expect_error="unknown SDK service 'Kinesis'")
    run("a malformed line", exact_log + "ECS UpdateService\n", exact_policy, expect_error="calls.log:6:1")
    run("an empty log", "", exact_policy, expect_error="no AWS request recorded")
    wildcard = json.loads(json.dumps(exact_policy))
    wildcard["Statement"][0]["Action"] = ["ecs:*"]
    run("a wildcard action", exact_log, wildcard, expect="wildcard action 'ecs:*'")
    unexplained = json.loads(json.dumps(exact_policy))
    unexplained["Statement"][1]["Sid"] = "FindTopics"
    run("* without saying why", exact_log, unexplained, expect='Resource "*" needs a Sid')
    crossed = json.loads(json.dumps(exact_policy))
    crossed["Statement"][1]["Resource"] = "arn:${partition}:cloudwatch:${region}:${account_id}:alarm:*"
    run("an ARN of another service", exact_log, crossed, expect="sns:ListTopics cannot apply to")
    run(
        "a directive in a template",
        exact_log,
        json.dumps(exact_policy).replace("ScaleServices", "%{ if true }x%{ endif }"),
        expect_error="directives",
    )
    run(
        "a variable outside the interface",
        exact_log,
        json.dumps(exact_policy).replace("${desired", "${cluster_name}${desired"),
        s3=json.dumps(s3_policy).replace("${desired_state_object_arn}", "${bucket}"),
        expect_error="no value for variable `bucket`",
    )
    run("a template that is not JSON", exact_log, "{ \"Version\": ", expect_error="is not JSON")
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("call_log", nargs="?", help="the MOORING_CALL_LOG file of a test-suite run")
    parser.add_argument("--self-test", action="store_true", help="check the checker on crafted input")
    args = parser.parse_args(argv)
    if args.self_test:
        failures = self_test()
        for failure in failures:
            print(f"check_iam self-test: FAILED: {failure}", file=sys.stderr)
        if failures:
            return 1
        print("check_iam self-test: rejects missing and unused grants, unknown operations, bad templates")
        return 0
    if not args.call_log:
        parser.error("give the call log, or --self-test")
    try:
        problems, called = check(args.call_log)
    except CheckError as error:
        print(f"check_iam: error: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"check_iam: {problem}", file=sys.stderr)
    if problems:
        print(f"check_iam: {len(problems)} problem(s); the policy is in {os.path.relpath(IAM_DIR, ROOT)}/", file=sys.stderr)
        return 1
    print(
        f"check_iam: the policy grants exactly the {len(called)} actions the test suite made mooring "
        f"call ({sum(called.values())} requests)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
