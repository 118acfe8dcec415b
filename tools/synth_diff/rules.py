"""The tables the classification reads: which properties are security-relevant, which force a
replacement, which resources hold data. Small on purpose, limited to the resource types this
app creates (and a few close relatives); extend a table when a stack gains a new type.

Replacement facts are CloudFormation's "Update requires: Replacement" for each property
(AWS resource and property types reference). A property not listed here is treated as an
in-place update: that is the common case, and `cdk diff` (printed beside this report) has
the full specification if in doubt.
"""

from __future__ import annotations

ALL = "*"  # every property of the type

# Properties whose change is security-relevant. ALL: any change, and adding or removing the
# resource, is (policies, permissions, grants).
SECURITY_PROPERTIES: dict[str, tuple[str, ...] | str] = {
    "AWS::IAM::Policy": ALL,
    "AWS::IAM::ManagedPolicy": ALL,
    "AWS::IAM::Role": ("AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns", "PermissionsBoundary"),
    "AWS::IAM::User": ALL,
    "AWS::IAM::Group": ALL,
    "AWS::IAM::InstanceProfile": ALL,
    "AWS::Lambda::Permission": ALL,
    "AWS::Lambda::LayerVersionPermission": ALL,
    "AWS::S3::BucketPolicy": ALL,
    "AWS::SQS::QueuePolicy": ALL,
    "AWS::SNS::TopicPolicy": ALL,
    "AWS::Lambda::Url": ("AuthType",),
    "AWS::Lambda::Function": ("Role",),  # runs as another role
    "AWS::ApiGateway::Method": ("AuthorizationType", "ApiKeyRequired", "AuthorizerId", "AuthorizationScopes"),
    "AWS::ApiGateway::Authorizer": ALL,
    "AWS::ApiGateway::RestApi": ("Policy",),
    "AWS::S3::Bucket": ("PublicAccessBlockConfiguration", "BucketEncryption", "OwnershipControls", "AccessControl"),
    "AWS::EC2::SecurityGroup": ("SecurityGroupIngress", "SecurityGroupEgress"),
    "AWS::EC2::SecurityGroupIngress": ALL,
    "AWS::EC2::SecurityGroupEgress": ALL,
    "AWS::KMS::Key": ("KeyPolicy",),
}

# Types whose mere addition or removal is security-relevant even when not ALL above: a new
# public entry point (Function URL, API method) or a new network opening.
SECURITY_ON_ADD_OR_REMOVE = frozenset(
    {
        *(t for t, props in SECURITY_PROPERTIES.items() if props == ALL),
        "AWS::Lambda::Url",
        "AWS::ApiGateway::Method",
        "AWS::EC2::SecurityGroup",
        "AWS::IAM::Role",
    }
)

# Properties whose change makes CloudFormation create a new resource and delete the old one.
# ALL: the resource is immutable (every change is a new physical resource).
# Not listed on purpose: AWS::ApiGateway::RestApi Name, AWS::IAM::Policy PolicyName,
# AWS::Lambda::Function MemorySize/Timeout/Environment/Code (all in-place updates).
REPLACEMENT_PROPERTIES: dict[str, tuple[str, ...] | str] = {
    "AWS::S3::Bucket": ("BucketName", "ObjectLockEnabled"),
    "AWS::S3::BucketPolicy": ("Bucket",),
    "AWS::Lambda::Function": ("FunctionName", "PackageType"),
    "AWS::Lambda::LayerVersion": ALL,
    "AWS::Lambda::Version": ALL,
    "AWS::Lambda::Alias": ("FunctionName", "Name"),
    "AWS::Lambda::Url": ("TargetFunctionArn", "Qualifier"),
    "AWS::Lambda::Permission": ALL,
    "AWS::Lambda::EventInvokeConfig": ("FunctionName", "Qualifier"),
    "AWS::Lambda::EventSourceMapping": ("EventSourceArn", "StartingPosition", "SelfManagedEventSource"),
    "AWS::Logs::LogGroup": ("LogGroupName", "LogGroupClass"),
    "AWS::StepFunctions::StateMachine": ("StateMachineName", "StateMachineType"),
    "AWS::DynamoDB::Table": ("TableName", "KeySchema", "LocalSecondaryIndexes"),
    "AWS::DynamoDB::GlobalTable": ("TableName", "KeySchema", "LocalSecondaryIndexes"),
    "AWS::IAM::Role": ("RoleName", "Path"),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName", "Path", "Description"),
    "AWS::SNS::Topic": ("TopicName", "FifoTopic"),
    "AWS::SNS::Subscription": ("Endpoint", "Protocol", "TopicArn"),
    "AWS::SQS::Queue": ("QueueName", "FifoQueue"),
    "AWS::Events::Rule": ("Name", "EventBusName"),
    "AWS::CloudWatch::Alarm": ("AlarmName",),
    "AWS::CloudWatch::Dashboard": ("DashboardName",),
    "AWS::ApiGateway::Stage": ("StageName", "RestApiId"),
    "AWS::ApiGateway::Resource": ("ParentId", "PathPart", "RestApiId"),
    "AWS::ApiGateway::Method": ("HttpMethod", "ResourceId", "RestApiId"),
    "AWS::ApiGateway::Model": ("Name", "ContentType", "RestApiId"),
    "AWS::ApiGateway::RequestValidator": ("Name", "RestApiId"),
    "AWS::ApiGateway::ApiKey": ("Name", "Value", "GenerateDistinctId"),
    "AWS::ApiGateway::UsagePlanKey": ("KeyId", "KeyType", "UsagePlanId"),
    "AWS::ApiGateway::Deployment": ("RestApiId",),
    "AWS::Budgets::Budget": ALL,
    "AWS::EC2::SecurityGroup": ("GroupName", "GroupDescription", "VpcId"),
    "AWS::KMS::Key": ("KeySpec",),
}

# Resources that hold data or history a replacement or removal loses (or orphans, when the
# DeletionPolicy is Retain): flagged loudly.
DATA_BEARING = {
    "AWS::S3::Bucket": "objects",
    "AWS::StepFunctions::StateMachine": "execution history and running executions",
    "AWS::Logs::LogGroup": "log events",
    "AWS::DynamoDB::Table": "items",
    "AWS::DynamoDB::GlobalTable": "items",
    "AWS::SQS::Queue": "queued messages",
    "AWS::KMS::Key": "everything encrypted with the key",
    "AWS::ECR::Repository": "images",
}

# Resources whose logical id carries a digest of what they point at, so a new logical id for
# the same construct path is the expected way a new version or deployment is published, not
# a replacement to warn about.
DIGEST_NAMED = {
    "AWS::Lambda::Version": "publishes a new version",
    "AWS::ApiGateway::Deployment": "creates a new API deployment (the stage moves to it)",
}

# Never compared: CDK's own bookkeeping.
IGNORED_TYPES = frozenset({"AWS::CDK::Metadata"})


def is_security_property(resource_type: str, prop: str) -> bool:
    props = SECURITY_PROPERTIES.get(resource_type, ())
    return props == ALL or prop in props


def requires_replacement(resource_type: str, prop: str) -> bool:
    props = REPLACEMENT_PROPERTIES.get(resource_type, ())
    return props == ALL or prop in props
