# Names and ARNs derived once and shared by the resource files. The module runs in whatever
# account and region its `aws` provider points at: instantiate it once per account/region.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # `s3://bucket/key` -> the object's ARN, for the s3:GetObject policy; null for a path.
  desired_state_from_s3    = startswith(var.desired_state_source, "s3://")
  desired_state_object_arn = local.desired_state_from_s3 ? "arn:${local.partition}:s3:::${trimprefix(var.desired_state_source, "s3://")}" : null

  # mooring only ever touches services of the clusters its desired state names; the policy
  # is scoped to those clusters' service ARNs.
  managed_service_arns = [
    for cluster in var.managed_clusters :
    "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/${cluster}/*"
  ]

  # Both policy documents come from deploy/iam, the same files the IAM check renders.
  mooring_policy = templatefile("${path.module}/../iam/mooring.json.tftpl", {
    partition             = local.partition
    region                = local.region
    account_id            = local.account_id
    ecs_service_arns_json = jsonencode(local.managed_service_arns)
    alarm_name_prefix     = var.alarm_name_prefix
    topic_name_prefix     = var.topic_name_prefix
  })
  desired_state_s3_policy = local.desired_state_from_s3 ? templatefile("${path.module}/../iam/desired-state-s3.json.tftpl", {
    desired_state_object_arn = local.desired_state_object_arn
  }) : null

  # Environment shared by the controller and the Lambdas. MOORING_REVISION is only set when
  # given: otherwise mooring takes the S3 object's `revision` metadata (or its ETag).
  revision_environment = var.revision == null ? {} : { MOORING_REVISION = var.revision }

  # The Lambdas that exist (a null zip means "not deployed"), and those with a schedule
  # (a schedule of a function that is not deployed is ignored: offhours_schedule has a
  # default, and a controller-only stack sets no zips).
  functions = {
    for name, f in {
      offhours = {
        zip      = var.offhours_zip
        schedule = var.offhours_schedule
        # The offhours Lambda evaluates schedules at the event's `time`: the instant the
        # invocation was scheduled for, not when a retry happens to run.
        input = jsonencode({ time = "<aws.scheduler.scheduled-time>" })
      }
      reconcile = {
        zip      = var.reconcile_zip
        schedule = var.reconcile_schedule
        input    = jsonencode({})
      }
    } : name => f if f.zip != null
  }
  scheduled_functions = { for name, f in local.functions : name => f if f.schedule != null }
}

