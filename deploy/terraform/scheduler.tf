# EventBridge Scheduler invokes the Lambdas: offhours every few minutes (sleep and wake happen
# at most one interval late), reconcile when a schedule is set (main.tf: local.scheduled_functions).

resource "aws_scheduler_schedule" "function" {
  for_each = local.scheduled_functions
  #checkov:skip=CKV_AWS_297:The schedule's payload is a timestamp template or {}, nothing confidential; Scheduler encrypts it with an AWS owned key.

  name                         = "${var.name_prefix}-${each.key}"
  description                  = "Invokes the mooring ${each.key} Lambda."
  schedule_expression          = each.value.schedule
  schedule_expression_timezone = var.schedule_timezone
  state                        = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.function[each.key].arn
    role_arn = aws_iam_role.scheduler[0].arn
    input    = each.value.input

    # A late pass is still correct (the offhours Lambda evaluates the scheduled instant),
    # but one older than a few minutes is overtaken by the next schedule anyway.
    retry_policy {
      maximum_event_age_in_seconds = 300
      maximum_retry_attempts       = 2
    }
  }
}
