# expect: none
# safe: boto3's default credential chain (environment, profile or instance role); no key in the code
import boto3


def upload_backup(path, bucket):
    s3 = boto3.client("s3")
    s3.upload_file(path, bucket, path.rsplit("/", 1)[-1])
