"""The Distributed Map's item readers and result writer, granted one prefix each.

CDK's own S3CsvItemReader, S3ObjectsItemReader and ResultWriterV2 would grant s3:GetObject,
s3:ListBucket and s3:PutObject on whole buckets; these subclasses grant only the data prefix
and the manifest prefix.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn

from stacks.common.s3_prefix_access import S3Location, list_prefix, read_objects


class DataPrefixCsvReader(sfn.S3CsvItemReader):
    """Rows of one CSV object under the data prefix; reading is granted on that prefix only."""

    def __init__(self, *, data: S3Location, key: str) -> None:
        super().__init__(bucket=data.bucket, key=key, csv_headers=sfn.CsvHeaders.use_first_row())
        self._data = data

    def provide_policy_statements(self) -> list[iam.PolicyStatement]:
        return [read_objects([self._data.objects_arn])]


class DataPrefixObjectsReader(sfn.S3ObjectsItemReader):
    """The objects under a prefix inside the data prefix; listing is granted for that prefix only."""

    def __init__(self, *, data: S3Location, prefix: str) -> None:
        super().__init__(bucket=data.bucket, prefix=prefix)
        self._data = data

    def provide_policy_statements(self) -> list[iam.PolicyStatement]:
        return [list_prefix(self._data)]


class ManifestWriter(sfn.ResultWriterV2):
    """The Map run's manifest and result files, written under one prefix of the results bucket."""

    def __init__(self, *, manifests: S3Location) -> None:
        super().__init__(bucket=manifests.bucket, prefix=manifests.prefix.rstrip("/"))
        self._manifests = manifests

    def provide_policy_statements(self) -> list[iam.PolicyStatement]:
        # What Step Functions documents for ResultWriter: multipart writes, and reads of its own files.
        return [
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
                resources=[self._manifests.objects_arn],
            )
        ]
