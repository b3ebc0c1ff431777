variable "region" {
  description = "AWS region of the Portfolio dev environment."
  type        = string
  default     = "us-east-1"
}

variable "vpc_id" {
  description = "VPC of the environment (from the networking stack)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (with NAT) of the ECS tasks, mooring's included."
  type        = list(string)
}

variable "app_security_group_id" {
  description = "Security group of the backend and frontend tasks (ALB to 3000 and 8000)."
  type        = string
}

variable "backend_target_group_arn" {
  description = "ALB target group of the backend (/api/*, port 8000)."
  type        = string
}

variable "frontend_target_group_arn" {
  description = "ALB target group of the frontend (/*, port 3000)."
  type        = string
}

variable "backend_task_definition" {
  description = "Task definition family (or family:revision) of the backend, registered by its deploy workflow."
  type        = string
  default     = "portfolio-dev-backend"
}

variable "frontend_task_definition" {
  description = "Task definition family (or family:revision) of the frontend, registered by its deploy workflow."
  type        = string
  default     = "portfolio-dev-frontend"
}

variable "mooring_image" {
  description = "The mooring image in ECR, tagged with the commit it was built from."
  type        = string
}

variable "desired_state_bucket" {
  description = "S3 bucket the deploy workflow publishes the desired state to (versioned, private)."
  type        = string
}

variable "lambda_zip_dir" {
  description = "Folder with offhours.zip and reconcile.zip from deploy/lambda/build.sh. Null: no Lambdas."
  type        = string
  default     = null
}

variable "alert_email" {
  description = "Where mooring's Warnings are mailed (confirm the subscription mail). Null: no subscription."
  type        = string
  default     = null
}
