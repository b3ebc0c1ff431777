terraform {
  required_version = ">= 1.3"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "portfolio"
      Environment = "dev"
    }
  }

  # mooring writes its ownership and sleep tags (mooring:stack, mooring:wake-count,
  # mooring:autoscaling-hash) on the ECS services this configuration also manages; without
  # this, every `terraform apply` would strip them again.
  ignore_tags {
    key_prefixes = ["mooring:"]
  }
}
