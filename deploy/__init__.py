"""The AWS deployment: the CloudFormation merged into `chalice package`, and each function's IAM policy."""
