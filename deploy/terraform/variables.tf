# Inputs of the mooring module. Every variable has a description and a type, and is used:
# tests/deploy/test_terraform.py fails otherwise.

# --- What mooring reads and manages -----------------------------------------------------

variable "desired_state_source" {
  description = "Where the controller and the Lambdas read the desired state: an S3 URI (s3://bucket/key, the object the deploy workflow publishes; the roles get s3:GetObject on that one object) or a path inside the image and the zips."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+", var.desired_state_source)) || !startswith(var.desired_state_source, "s3:")
    error_message = "desired_state_source: an S3 source must look like s3://bucket/key (a bucket name, a slash, an object key)."
  }
}

variable "managed_clusters" {
  description = "Names of the ECS clusters whose services the desired state declares. The ECS statement of the policy is scoped to arn:...:service/<cluster>/* for each."
  type        = list(string)

  validation {
    condition     = length(var.managed_clusters) > 0
    error_message = "managed_clusters: name at least one ECS cluster (mooring's ECS permissions are scoped to these clusters' services)."
  }
}

variable "alarm_name_prefix" {
  description = "Only CloudWatch alarms whose names start with this may be created, changed or deleted by mooring. Empty: any alarm."
  type        = string
  default     = ""
}

variable "topic_name_prefix" {
  description = "Only SNS topics whose names start with this may be created, changed or deleted by mooring. Empty: any topic."
  type        = string
  default     = ""
}

variable "revision" {
  description = "Sets MOORING_REVISION (the revision in every event) for the controller and the Lambdas. Null: the S3 object's `revision` metadata, else its ETag."
  type        = string
  default     = null
}

# --- The controller (`mooring run` as an ECS service) -----------------------------------

variable "controller_enabled" {
  description = "Whether to run the long-running controller (`mooring run`) as an ECS service. False for a Lambda-only setup."
  type        = bool
  default     = true
}

variable "image" {
  description = "The controller's container image (deploy/Dockerfile), pinned by tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/mooring:<git sha>."
  type        = string
  default     = null
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster (Fargate) the controller's service runs in. May be one of managed_clusters."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Subnets of the controller's task. They need a route to the AWS APIs (NAT gateway or VPC endpoints for ECS, Application Auto Scaling, CloudWatch, SNS, S3, ECR, Logs)."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups of the controller's task. It needs outbound HTTPS only; port 8080 (/metrics, /status) only from where you want to read them."
  type        = list(string)
  default     = []
}

variable "assign_public_ip" {
  description = "Give the controller's task a public IP (only for public subnets without a NAT gateway)."
  type        = bool
  default     = false
}

variable "controller_cpu" {
  description = "Fargate CPU units of the controller's task (256 = 0.25 vCPU is plenty)."
  type        = number
  default     = 256
}

variable "controller_memory" {
  description = "Fargate memory of the controller's task, in MiB."
  type        = number
  default     = 512
}

# --- The Lambdas and their schedules ----------------------------------------------------

variable "offhours_zip" {
  description = "Path of offhours.zip (deploy/lambda/build.sh). Null: no offhours Lambda."
  type        = string
  default     = null
}

variable "reconcile_zip" {
  description = "Path of reconcile.zip (deploy/lambda/build.sh). Null: no reconcile Lambda."
  type        = string
  default     = null
}

variable "offhours_schedule" {
  description = "EventBridge Scheduler expression invoking the offhours Lambda (when offhours_zip is set). Null: no schedule."
  type        = string
  default     = "rate(5 minutes)"
}

variable "reconcile_schedule" {
  description = "EventBridge Scheduler expression invoking the reconcile Lambda (when reconcile_zip is set), e.g. rate(15 minutes). Null: no schedule (invoke it by hand)."
  type        = string
  default     = null
}

variable "schedule_timezone" {
  description = "Time zone of cron() schedule expressions (IANA name). rate() ignores it; mooring's own off-hours schedules carry their own zones."
  type        = string
  default     = "UTC"
}

variable "lambda_timeout" {
  description = "Timeout of each Lambda invocation, in seconds."
  type        = number
  default     = 120
}

variable "lambda_memory_size" {
  description = "Memory of each Lambda, in MiB."
  type        = number
  default     = 256
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency of each Lambda; -1 for none. 1 serialises invocations, but reserving any fails in accounts whose Lambda concurrency quota is still the new-account 10."
  type        = number
  default     = -1
}

# --- Shared -----------------------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every name the module creates (service, functions, roles, policies, topic, log groups, schedules)."
  type        = string
  default     = "mooring"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", var.name_prefix))
    error_message = "name_prefix: 1-32 letters, digits, '-' or '_', starting with a letter or digit (it ends up in IAM role and Lambda names)."
  }
}

variable "log_retention_days" {
  description = "Retention of the controller's and the Lambdas' CloudWatch log groups, in days."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "A customer managed KMS key for the events topic, the log groups and the Lambdas' environment. Null: AWS managed keys. Its key policy must allow CloudWatch Logs and SNS."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}
