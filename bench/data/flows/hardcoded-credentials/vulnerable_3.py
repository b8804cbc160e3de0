# expect: hardcoded-credentials line 8, 9
import boto3


def upload_backup(path, bucket):
    s3 = boto3.client(
        "s3",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    s3.upload_file(path, bucket, path.rsplit("/", 1)[-1])
