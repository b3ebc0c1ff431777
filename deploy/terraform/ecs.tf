# The controller: `mooring run` as a one-task Fargate service.

locals {
  controller_name = "${var.name_prefix}-controller"
  container_port  = 8080
}

resource "aws_cloudwatch_log_group" "controller" {
  count = var.controller_enabled ? 1 : 0
  #checkov:skip=CKV_AWS_338:Retention is the user's choice (var.log_retention_days, 30 days by default as in the seeds); a year of controller logs is rarely wanted.

  name              = "/ecs/${var.name_prefix}/controller"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_task_definition" "controller" {
  count = var.controller_enabled ? 1 : 0

  family                   = local.controller_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.controller_cpu
  memory                   = var.controller_memory
  execution_role_arn       = aws_iam_role.task_execution[0].arn
  task_role_arn            = aws_iam_role.task[0].arn

  runtime_platform {
    operating_system_family = "LINUX"
    # deploy/Dockerfile is built for linux/amd64 by the deploy workflow.
    cpu_architecture = "X86_64"
  }

  container_definitions = jsonencode([{
    name      = "mooring"
    image     = var.image
    essential = true
    command   = ["run", var.desired_state_source, "--listen", "0.0.0.0:${local.container_port}"]
    environment = [
      for name, value in local.revision_environment : { name = name, value = value }
    ]
    portMappings = [{ containerPort = local.container_port, protocol = "tcp" }]
    # mooring writes no files: everything it must remember lives in AWS (tags).
    readonlyRootFilesystem = true
    # The distroless image's `nonroot` user (deploy/Dockerfile).
    user       = "65532:65532"
    privileged = false
    # On SIGTERM mooring finishes the pass in flight (up to 3 s), flushes the SNS fold
    # windows and exits within 5 s; 30 s leaves room before ECS sends SIGKILL.
    stopTimeout = 30
    healthCheck = {
      command     = ["CMD", "mooring", "healthcheck"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 15
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.controller[0].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "controller"
      }
    }
  }])

  tags = var.tags

  # Checked at plan time, before anything is created.
  lifecycle {
    precondition {
      condition     = var.image != null && var.cluster_arn != null && length(var.subnet_ids) > 0
      error_message = "controller_enabled: set image, cluster_arn and subnet_ids (or set controller_enabled = false for a Lambda-only setup)."
    }
  }
}

resource "aws_ecs_service" "controller" {
  count = var.controller_enabled ? 1 : 0

  name             = local.controller_name
  cluster          = var.cluster_arn
  task_definition  = aws_ecs_task_definition.controller[0].arn
  desired_count    = 1
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  # One controller at a time: a deploy stops the old task before starting the new one, so
  # two revisions never reconcile side by side (a minute without a controller is harmless:
  # the next pass catches up).
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = var.assign_public_ip
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  tags                    = var.tags
}
