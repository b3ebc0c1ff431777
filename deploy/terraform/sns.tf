# The events topic: point the desired state's `spec.events.topic` at its ARN (output
# events_topic_arn) and mooring publishes its Warnings there. Subscriptions are yours to add.

resource "aws_sns_topic" "events" {
  name = "${var.name_prefix}-events"
  # AWS managed key unless a customer managed one is given: encrypted either way.
  kms_master_key_id = coalesce(var.kms_key_arn, "alias/aws/sns")
  tags              = var.tags
}
