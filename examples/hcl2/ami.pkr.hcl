packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}

variable "aws_region" {
  type    = string
  default = "us-east-1"
}

variable "ami_regions" {
  type    = list(string)
  default = []
}

variable "ami_name_prefix" {
  type    = string
  default = "web"
}

variable "instance_type" {
  type    = string
  default = "t3.micro"
}

variable "skip_region_validation" {
  type    = bool
  default = false
}

locals {
  timestamp = regex_replace(timestamp(), "[- TZ:]", "")
}

source "amazon-ebs" "web" {
  region                 = var.aws_region
  ami_regions            = var.ami_regions
  skip_region_validation = var.skip_region_validation
  instance_type          = var.instance_type
  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["099720109477"]
    most_recent = true
  }
  communicator    = "ssh"
  ssh_username    = "ubuntu"
  ami_name        = "${var.ami_name_prefix}-${local.timestamp}"
  ami_description = "Web server image built by Packer"
  tags = {
    Name = var.ami_name_prefix
  }
  run_tags = {
    Name = "packer-build-${var.ami_name_prefix}"
  }
}

build {
  sources = ["source.amazon-ebs.web"]

  provisioner "shell" {
    script          = "provision.sh"
    execute_command = "chmod +x {{ .Path }}; sudo -E sh -eux '{{ .Path }}'"
  }

  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
  }
}
