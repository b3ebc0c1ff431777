terraform {
  # startswith() and trimprefix() (main.tf) arrived in Terraform 1.3.
  required_version = ">= 1.3"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
