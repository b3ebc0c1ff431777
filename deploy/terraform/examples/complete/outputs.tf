output "mooring_events_topic_arn" {
  description = "Put this in portfolio-dev.yaml as spec.events.topic."
  value       = module.mooring.events_topic_arn
}

output "mooring_controller_log_group" {
  description = "Where the controller's events go: aws logs tail <this> --follow."
  value       = module.mooring.controller_log_group_name
}

output "mooring_functions" {
  description = "The Lambdas deployed (empty without lambda_zip_dir)."
  value       = module.mooring.function_names
}

output "mooring_policy_arn" {
  description = "The policy with what mooring may do (attached to the controller and the Lambdas)."
  value       = module.mooring.mooring_policy_arn
}
