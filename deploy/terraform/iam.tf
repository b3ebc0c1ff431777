# Roles: the controller's task execution role (pull the image, write logs) and task role
# (what mooring does), one role per Lambda, and the role EventBridge Scheduler invokes the
# Lambdas with. What mooring does is one policy, rendered from deploy/iam (main.tf), attached
# to the task role and to both Lambda roles.

resource "aws_iam_policy" "mooring" {
  name        = "${var.name_prefix}-mooring"
  description = "What mooring calls: ECS services of the managed clusters, Application Auto Scaling, CloudWatch alarms and metrics, SNS (deploy/iam/mooring.json.tftpl)."
  policy      = local.mooring_policy
  tags        = var.tags
}

resource "aws_iam_policy" "desired_state_s3" {
  count = local.desired_state_from_s3 ? 1 : 0

  name        = "${var.name_prefix}-desired-state"
  description = "s3:GetObject on the desired-state object ${local.desired_state_object_arn} (deploy/iam/desired-state-s3.json.tftpl)."
  policy      = local.desired_state_s3_policy
  tags        = var.tags
}

# Publishing events to the module's own topic, whatever topic_name_prefix allows, and using
# the customer managed key when there is one (SNS encrypts with it on Publish).
data "aws_iam_policy_document" "events" {
  statement {
    sid       = "PublishEvents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "EncryptEventsWithTheCustomerKey"
      actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_policy" "events" {
  name        = "${var.name_prefix}-events"
  description = "Publish mooring's events to ${aws_sns_topic.events.name}."
  policy      = data.aws_iam_policy_document.events.json
  tags        = var.tags
}

locals {
  # Every role that runs mooring gets the same three policies.
  mooring_policy_arns = concat(
    [aws_iam_policy.mooring.arn, aws_iam_policy.events.arn],
    aws_iam_policy.desired_state_s3[*].arn,
  )
  mooring_roles = merge(
    var.controller_enabled ? { controller = aws_iam_role.task[0].name } : {},
    { for name, role in aws_iam_role.function : name => role.name },
  )
  mooring_attachments = merge([
    for who, role in local.mooring_roles : {
      for index, arn in local.mooring_policy_arns : "${who}-${index}" => { role = role, arn = arn }
    }
  ]...)
}

resource "aws_iam_role_policy_attachment" "mooring" {
  for_each = local.mooring_attachments

  role       = each.value.role
  policy_arn = each.value.arn
}

# --- The controller -----------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    # Confused-deputy guard: only ECS acting for this account may assume the roles.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "task_execution" {
  count = var.controller_enabled ? 1 : 0

  name               = "${var.name_prefix}-task-execution"
  description        = "ECS pulls the mooring image and writes its logs with this role."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "task_execution" {
  count = var.controller_enabled ? 1 : 0

  role       = aws_iam_role.task_execution[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role" "task" {
  count = var.controller_enabled ? 1 : 0

  name               = "${var.name_prefix}-controller"
  description        = "What the mooring controller (mooring run) may do."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = var.tags
}

# --- The Lambdas --------------------------------------------------------------------------

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name               = "${var.name_prefix}-${each.key}"
  description        = "What the mooring ${each.key} Lambda may do."
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
  tags               = var.tags
}

# Its own log group only (lambda.tf creates it), instead of AWSLambdaBasicExecutionRole's
# logs:* on every group.
data "aws_iam_policy_document" "function_logs" {
  for_each = local.functions

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }
}

resource "aws_iam_role_policy" "function_logs" {
  for_each = local.functions

  name   = "logs"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function_logs[each.key].json
}

# --- EventBridge Scheduler ------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count = length(local.scheduled_functions) > 0 ? 1 : 0

  name               = "${var.name_prefix}-scheduler"
  description        = "EventBridge Scheduler invokes the mooring Lambdas with this role."
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust.json
  tags               = var.tags
}

data "aws_iam_policy_document" "scheduler_invoke" {
  count = length(local.scheduled_functions) > 0 ? 1 : 0

  statement {
    actions   = ["lambda:InvokeFunction"]
    resources = [for name, f in local.scheduled_functions : aws_lambda_function.function[name].arn]
  }
}

resource "aws_iam_role_policy" "scheduler_invoke" {
  count = length(local.scheduled_functions) > 0 ? 1 : 0

  name   = "invoke-mooring-lambdas"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler_invoke[0].json
}
