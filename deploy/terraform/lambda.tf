# The offhours and reconcile Lambdas (zips from deploy/lambda/build.sh), one each when its
# zip is given (main.tf: local.functions).

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions
  #checkov:skip=CKV_AWS_338:Retention is the user's choice (var.log_retention_days, 30 days by default as in the seeds); a year of Lambda logs is rarely wanted.

  # The name Lambda writes to by default, created here so that it gets a retention.
  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "function" {
  for_each = local.functions
  #checkov:skip=CKV_AWS_116:Invoked asynchronously by EventBridge Scheduler, which retries (scheduler.tf); a failed pass is repeated by the next scheduled one and reported in the logs and mooring's events, so a dead-letter queue would only collect stale timestamps.
  #checkov:skip=CKV_AWS_117:The functions only call AWS APIs and serve no traffic; in a VPC they would need a NAT gateway or interface endpoints plus ENI permissions, for nothing gained.
  #checkov:skip=CKV_AWS_272:The zips are built from source by the user's own workflow and uploaded by this module; code signing would need an AWS Signer profile, which small teams rarely run.

  function_name    = "${var.name_prefix}-${each.key}"
  description      = "mooring ${each.key}: ${each.key == "offhours" ? "schedule-driven sleep and wake only" : "one full reconcile pass"}"
  role             = aws_iam_role.function[each.key].arn
  runtime          = "provided.al2023"
  architectures    = ["x86_64"]
  handler          = "bootstrap"
  filename         = each.value.zip
  source_code_hash = filebase64sha256(each.value.zip)
  timeout          = var.lambda_timeout
  memory_size      = var.lambda_memory_size
  kms_key_arn      = var.kms_key_arn

  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = merge(local.revision_environment, {
      MOORING_DESIRED_STATE = var.desired_state_source
    })
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags

  # The log group (with its retention) exists before the first invocation could create one,
  # and the role can already do its job when the function is first invoked.
  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function_logs,
    aws_iam_role_policy_attachment.mooring,
  ]
}
