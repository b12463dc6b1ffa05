aws_region      = "us-east-1"
ami_regions     = ["us-west-2", "eu-west-1"]
ami_name_prefix = "web"
instance_type   = "t3.micro"
