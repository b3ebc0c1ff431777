output "events_topic_arn" {
  description = "ARN of the events topic: put it in the desired state's spec.events.topic, and subscribe people or tools to it."
  value       = aws_sns_topic.events.arn
}

output "mooring_policy_arn" {
  description = "ARN of the managed policy with what mooring calls (deploy/iam/mooring.json.tftpl), e.g. for a role that runs `mooring plan` in CI."
  value       = aws_iam_policy.mooring.arn
}

output "desired_state_object_arn" {
  description = "ARN of the S3 object the desired state is read from; null when it is a path."
  value       = local.desired_state_object_arn
}

output "controller_service_name" {
  description = "Name of the controller's ECS service (null when controller_enabled is false)."
  value       = one(aws_ecs_service.controller[*].name)
}

output "controller_task_definition_arn" {
  description = "ARN of the controller's task definition revision (null when controller_enabled is false)."
  value       = one(aws_ecs_task_definition.controller[*].arn)
}

output "controller_log_group_name" {
  description = "CloudWatch log group of the controller: its events, one JSON line each (null when controller_enabled is false)."
  value       = one(aws_cloudwatch_log_group.controller[*].name)
}

output "task_role_arn" {
  description = "ARN of the controller's task role, which mooring's policy is attached to."
  value       = one(aws_iam_role.task[*].arn)
}

output "task_execution_role_arn" {
  description = "ARN of the controller's task execution role (image pull, logs)."
  value       = one(aws_iam_role.task_execution[*].arn)
}

output "function_names" {
  description = "Names of the Lambdas that were deployed, by kind (offhours, reconcile)."
  value       = { for name, f in aws_lambda_function.function : name => f.function_name }
}

output "function_arns" {
  description = "ARNs of the Lambdas that were deployed, by kind."
  value       = { for name, f in aws_lambda_function.function : name => f.arn }
}

output "function_role_arns" {
  description = "ARNs of the Lambdas' roles, by kind."
  value       = { for name, r in aws_iam_role.function : name => r.arn }
}

output "function_log_group_names" {
  description = "CloudWatch log groups of the Lambdas, by kind."
  value       = { for name, g in aws_cloudwatch_log_group.function : name => g.name }
}

output "schedule_names" {
  description = "Names of the EventBridge Scheduler schedules, by the Lambda they invoke."
  value       = { for name, s in aws_scheduler_schedule.function : name => s.name }
}

output "scheduler_role_arn" {
  description = "ARN of the role EventBridge Scheduler invokes the Lambdas with (null without schedules)."
  value       = one(aws_iam_role.scheduler[*].arn)
}
