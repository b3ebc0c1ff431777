# The Portfolio dev environment as its own Terraform already describes it (seed 001): an ECS
# Fargate cluster whose backend and frontend services sit behind an ALB and scale 1-4 tasks.
# The network, the ALB with its target groups and the task definitions come from elsewhere
# (the networking stack and the app workflows); what matters here is the hand-over of the
# fields mooring owns from now on (docs/deploy.md, "Hand over from Terraform").

resource "aws_ecs_cluster" "portfolio" {
  name = "portfolio-dev"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  app_services = {
    backend  = { task_definition = var.backend_task_definition, target_group_arn = var.backend_target_group_arn, port = 8000 }
    frontend = { task_definition = var.frontend_task_definition, target_group_arn = var.frontend_target_group_arn, port = 3000 }
  }
}

resource "aws_ecs_service" "app" {
  for_each = local.app_services

  name             = each.key
  cluster          = aws_ecs_cluster.portfolio.id
  task_definition  = each.value.task_definition
  desired_count    = 1
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  load_balancer {
    target_group_arn = each.value.target_group_arn
    container_name   = each.key
    container_port   = each.value.port
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.app_security_group_id]
    assign_public_ip = false
  }

  lifecycle {
    # desired_count belongs to Application Auto Scaling and to mooring's off-hours (0 at
    # night); the task definition to the app's deploy workflow.
    ignore_changes = [desired_count, task_definition]
  }
}

# Terraform keeps creating the scalable target; mooring owns its min/max and suspended state
# from now on (portfolio-dev.yaml declares `autoscaling` with `adopt: true`): it sets
# min = max = 0 while the environment sleeps. The target-tracking policy (cpu70) was removed
# from this configuration and lives in the desired state only.
resource "aws_appautoscaling_target" "app" {
  for_each = local.app_services

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.portfolio.name}/${aws_ecs_service.app[each.key].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = 1
  max_capacity       = 4

  lifecycle {
    ignore_changes = [min_capacity, max_capacity, suspended_state]
  }
}
