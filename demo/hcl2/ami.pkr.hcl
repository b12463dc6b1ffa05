# The loopback twin of the user-facing example: same builder settings, but
# `communicator = "none"` and no provisioner, so it runs against a loopback EC2 endpoint.
# No `packer {}` block: Packer 1.6.6 rejects it.

variable "ec2_endpoint" {
  type    = string
  default = env("AWS_ENDPOINT_URL_EC2")
}

variable "aws_region" {
  type = string
}

variable "ami_regions" {
  type    = list(string)
  default = []
}

variable "source_ami" {
  type = string
}

variable "instance_type" {
  type    = string
  default = "t3.micro"
}

variable "ami_name_prefix" {
  type    = string
  default = "packer-ami-action-demo"
}

locals {
  # AMI names may not contain ':', which timestamp() does.
  build_stamp = regex_replace(timestamp(), "[- TZ:]", "")
}

source "amazon-ebs" "demo" {
  custom_endpoint_ec2    = var.ec2_endpoint
  skip_region_validation = true
  region                 = var.aws_region
  ami_regions            = var.ami_regions
  source_ami             = var.source_ami
  instance_type          = var.instance_type
  ami_name               = "${var.ami_name_prefix}-${local.build_stamp}"
  ami_description        = "Built by packer-ami-action from ${var.source_ami}"
  communicator           = "none"
  tags = {
    Name      = var.ami_name_prefix
    SourceAMI = "{{ .SourceAMI }}"
  }
}

build {
  sources = ["source.amazon-ebs.demo"]

  post-processor "manifest" {}
}
