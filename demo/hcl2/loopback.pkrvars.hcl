aws_region      = "us-east-1"
ami_regions     = ["eu-west-1", "us-west-2"]
source_ami      = "ami-0abcdef1234567890"
ami_name_prefix = "packer-ami-action-demo"
