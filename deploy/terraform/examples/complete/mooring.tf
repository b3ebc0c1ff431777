# mooring beside it: the controller in the same cluster, the Lambdas when their zips are
# built, the desired state from S3 where the deploy workflow publishes it.

locals {
  desired_state_key = "mooring/portfolio-dev.yaml"
  lambda_zip        = var.lambda_zip_dir == null ? {} : { offhours = "${var.lambda_zip_dir}/offhours.zip", reconcile = "${var.lambda_zip_dir}/reconcile.zip" }
}

# The controller only talks to AWS APIs (HTTPS out) and answers nobody but its own health
# check, which ECS runs inside the task.
resource "aws_security_group" "mooring" {
  name        = "mooring-controller"
  description = "mooring controller: HTTPS to the AWS APIs only"
  vpc_id      = var.vpc_id

  egress {
    description = "AWS APIs (ECS, Application Auto Scaling, CloudWatch, SNS, S3, ECR, Logs)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

module "mooring" {
  source = "../.."

  name_prefix          = "mooring-portfolio-dev"
  desired_state_source = "s3://${var.desired_state_bucket}/${local.desired_state_key}"
  managed_clusters     = [aws_ecs_cluster.portfolio.name]
  # The desired state names its alarms and topics portfolio-dev-...: nothing else is mooring's.
  alarm_name_prefix = "portfolio-dev-"
  topic_name_prefix = "portfolio-dev-"

  image              = var.mooring_image
  cluster_arn        = aws_ecs_cluster.portfolio.arn
  subnet_ids         = var.private_subnet_ids
  security_group_ids = [aws_security_group.mooring.id]

  offhours_zip       = lookup(local.lambda_zip, "offhours", null)
  reconcile_zip      = lookup(local.lambda_zip, "reconcile", null)
  offhours_schedule  = "rate(5 minutes)"
  reconcile_schedule = null

  log_retention_days = 30
  tags               = { Component = "mooring" }
}

# People hear about mooring's Warnings (drift it could not correct, failed changes) here.
resource "aws_sns_topic_subscription" "mooring_events_email" {
  count = var.alert_email == null ? 0 : 1

  topic_arn = module.mooring.events_topic_arn
  protocol  = "email"
  endpoint  = var.alert_email
}
