"""`make synth-diff`'s classification (tools/synth_diff) on small hand-made template pairs:
no synth, no network."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tools.synth_diff.__main__ import exit_status
from tools.synth_diff.classify import StackDiff, compare_templates
from tools.synth_diff.render import Report, to_markdown, to_text

STACK = "MaskPredictor-dev"
HASH_A = "a" * 64
HASH_B = "b" * 64


def res(rtype: str, path: str, props: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"Type": rtype, "Properties": props or {}, "Metadata": {"aws:cdk:path": f"{STACK}/{path}/Resource"}, **extra}


def base_template(code_hash: str = HASH_A, version_id: str = "FnCurrentVersionAAAA") -> dict[str, Any]:
    return {
        "Resources": {
            "Role1": res(
                "AWS::IAM::Role",
                "Fn/Role",
                {
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {
                                "Action": "sts:AssumeRole",
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                            }
                        ]
                    }
                },
            ),
            "Policy1": res(
                "AWS::IAM::Policy",
                "Fn/Role/DefaultPolicy",
                {
                    "PolicyDocument": {
                        "Statement": [{"Action": ["logs:PutLogEvents"], "Effect": "Allow", "Resource": "*"}]
                    },
                    "Roles": [{"Ref": "Role1"}],
                },
            ),
            "Logs1": res(
                "AWS::Logs::LogGroup",
                "Fn/Logs",
                {"RetentionInDays": 14},
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
            ),
            "Layer1": res("AWS::Lambda::LayerVersion", "Model/Layer", {"Content": {"S3Key": f"{HASH_A}.zip"}}),
            "Fn1": res(
                "AWS::Lambda::Function",
                "Fn/Function",
                {
                    "FunctionName": "mask-predictor-dev",
                    "MemorySize": 512,
                    "Code": {"S3Bucket": "assets", "S3Key": f"{code_hash}.zip"},
                    "Layers": [{"Ref": "Layer1"}],
                    "Role": {"Fn::GetAtt": ["Role1", "Arn"]},
                },
            ),
            version_id: res("AWS::Lambda::Version", "Fn/Function/CurrentVersion", {"FunctionName": {"Ref": "Fn1"}}),
            "Alias1": res(
                "AWS::Lambda::Alias",
                "Fn/Function/Aliaslive",
                {
                    "FunctionName": {"Ref": "Fn1"},
                    "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]},
                    "Name": "live",
                },
            ),
            "Url1": res(
                "AWS::Lambda::Url",
                "Fn/Function/Aliaslive/FunctionUrl",
                {
                    "AuthType": "AWS_IAM",
                    "TargetFunctionArn": {"Ref": "Alias1"},
                },
            ),
            "Bucket1": res(
                "AWS::S3::Bucket",
                "Buckets/Data",
                {
                    "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True},
                },
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
            ),
            "Machine1": res("AWS::StepFunctions::StateMachine", "Job/StateMachine", {"StateMachineType": "STANDARD"}),
            "Method1": res(
                "AWS::ApiGateway::Method",
                "Api/Default/predict/POST",
                {
                    "HttpMethod": "POST",
                    "AuthorizationType": "NONE",
                    "ApiKeyRequired": True,
                },
            ),
            "Deployment1abc": res("AWS::ApiGateway::Deployment", "Api/Api/Deployment", {"RestApiId": "x"}),
            "Sg1": res("AWS::EC2::SecurityGroup", "Sg", {"GroupDescription": "sg", "SecurityGroupIngress": []}),
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:1"}},
        },
        "Outputs": {"Name": {"Value": {"Ref": "Fn1"}}},
    }


def compare(old: dict[str, Any], new: dict[str, Any], **kwargs: Any) -> StackDiff:
    return compare_templates(STACK, old, new, **kwargs)


def by_path(diff: StackDiff, path: str) -> Any:
    (found,) = [r for r in diff.resources if r.path == path]
    return found


def test_identical_templates_are_unchanged() -> None:
    diff = compare(base_template(), base_template())
    assert diff.status == "unchanged" and not diff.has_changes


def test_memory_is_a_changed_property_not_security() -> None:
    new = base_template()
    new["Resources"]["Fn1"]["Properties"]["MemorySize"] = 1024
    diff = compare(base_template(), new)
    assert not diff.security and not diff.replaced_or_removed
    (changed,) = diff.changed
    assert changed.path == "Fn/Function" and [pc.describe() for pc in changed.changes] == ["MemorySize: 512 → 1024"]


def test_new_iam_action_is_security_with_the_statement() -> None:
    new = base_template()
    new["Resources"]["Policy1"]["Properties"]["PolicyDocument"]["Statement"].append(
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket1", "Arn"]}, "/*"]]},
        }
    )
    diff = compare(base_template(), new)
    (finding,) = diff.security
    assert finding.resource_type == "AWS::IAM::Policy"
    assert finding.security == ["PolicyDocument: + Allow s3:GetObject on ${Buckets/Data.Arn}/*"]
    assert not diff.changed


def test_reordered_actions_are_no_change() -> None:
    old, new = base_template(), base_template()
    old["Resources"]["Policy1"]["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = ["a:A", "b:B"]
    new["Resources"]["Policy1"]["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = ["b:B", "a:A"]
    assert compare(old, new).resources == []  # IAM reads lists as sets


@pytest.mark.parametrize(
    ("logical_id", "prop", "value", "expected"),
    [
        ("Url1", "AuthType", "NONE", 'AuthType: "AWS_IAM" → "NONE"'),
        ("Method1", "ApiKeyRequired", False, "ApiKeyRequired: true → false"),
        (
            "Bucket1",
            "PublicAccessBlockConfiguration",
            {"BlockPublicAcls": False, "BlockPublicPolicy": True},
            "PublicAccessBlockConfiguration.BlockPublicAcls: true → false",
        ),
        (
            "Sg1",
            "SecurityGroupIngress",
            [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}],
            'SecurityGroupIngress: [] → [{"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}]',
        ),
    ],
)
def test_security_properties(logical_id: str, prop: str, value: Any, expected: str) -> None:
    new = base_template()
    new["Resources"][logical_id]["Properties"][prop] = value
    diff = compare(base_template(), new)
    (finding,) = diff.security
    assert finding.security == [expected] and finding.kind == "changed"


def test_added_permission_is_security_and_added() -> None:
    new = base_template()
    new["Resources"]["Perm1"] = res(
        "AWS::Lambda::Permission",
        "Fn/Perm",
        {"Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "Fn1"}, "Principal": "*"},
    )
    diff = compare(base_template(), new)
    (added,) = diff.added
    assert added.security[0] == "added" and '+ Action="lambda:InvokeFunction"' in added.security[1]
    assert '"${Fn/Function}"' in added.security[1] and 'Principal="*"' in added.security[1]


def test_bucket_name_change_is_a_loud_replacement() -> None:
    new = base_template()
    new["Resources"]["Bucket1"]["Properties"]["BucketName"] = "renamed"
    (replaced,) = compare(base_template(), new).replaced_or_removed
    assert replaced.kind == "replaced" and replaced.replacement_reasons == ["BucketName changes"]
    assert replaced.loss_warning == "the old one is RETAINED (orphaned, no longer managed) with its objects"


def test_state_machine_type_change_is_a_replacement() -> None:
    new = base_template()
    new["Resources"]["Machine1"]["Properties"]["StateMachineType"] = "EXPRESS"
    (replaced,) = compare(base_template(), new).replaced_or_removed
    assert replaced.resource_type == "AWS::StepFunctions::StateMachine"
    assert replaced.loss_warning == "its execution history and running executions are DELETED with it"


def test_new_logical_id_for_the_same_construct_path_is_a_replacement() -> None:
    new = base_template()
    new["Resources"]["Logs2"] = new["Resources"].pop("Logs1")
    diff = compare(base_template(), new)
    (replaced,) = diff.replaced_or_removed
    assert (replaced.kind, replaced.ids) == ("replaced", "Logs1 → Logs2")
    assert replaced.replacement_reasons == ["logical id changed for the same construct path"]
    assert not diff.added


def test_log_group_name_and_function_name_force_replacement_but_rest_api_name_does_not() -> None:
    new = base_template()
    new["Resources"]["Logs1"]["Properties"]["LogGroupName"] = "/x"
    new["Resources"]["Fn1"]["Properties"]["FunctionName"] = "other"
    new["Resources"]["Api1"] = res("AWS::ApiGateway::RestApi", "Api/Api", {"Name": "b"})
    old = base_template()
    old["Resources"]["Api1"] = res("AWS::ApiGateway::RestApi", "Api/Api", {"Name": "a"})
    diff = compare(old, new)
    assert {r.path for r in diff.replaced_or_removed} == {"Fn/Logs", "Fn/Function"}
    assert [r.path for r in diff.changed] == ["Api/Api"]


def test_removed_resource_and_removed_stack() -> None:
    new = base_template()
    del new["Resources"]["Bucket1"]
    (removed,) = compare(base_template(), new).replaced_or_removed
    assert removed.kind == "removed" and "RETAINED" in (removed.loss_warning or "")
    gone = compare_templates(STACK, base_template(), None)
    assert gone.status == "removed" and len(gone.replaced_or_removed) == 13  # CDKMetadata is not compared
    added = compare_templates(STACK, None, base_template())
    assert added.status == "added" and len(added.added) == 13 and not added.notes


def test_code_hash_and_new_version_are_one_code_change_not_noise() -> None:
    new = base_template(code_hash=HASH_B, version_id="FnCurrentVersionBBBB")
    diff = compare(base_template(), new)
    assert not diff.resources and not diff.notes  # alias and output references are by path
    (code,) = diff.code
    assert code.name == "mask-predictor-dev" and code.path == "Fn/Function"
    assert code.items == ["code asset aaaaaaaa → bbbbbbbb", "publishes a new version"]


def test_model_layer_change_is_attributed_to_the_function_using_it() -> None:
    new = base_template(version_id="FnCurrentVersionBBBB")
    new["Resources"]["Layer1"]["Properties"]["Content"]["S3Key"] = f"{HASH_B}.zip"
    (code,) = compare(base_template(), new).code
    assert code.path == "Fn/Function"
    assert "layer `Model/Layer` asset aaaaaaaa → bbbbbbbb" in code.items


def test_memory_alone_publishes_a_version_said_as_configuration() -> None:
    new = base_template(version_id="FnCurrentVersionBBBB")
    new["Resources"]["Fn1"]["Properties"]["MemorySize"] = 1024
    diff = compare(base_template(), new)
    assert [c.items for c in diff.code] == [["publishes a new version (its configuration changed; code unchanged)"]]
    assert not diff.replaced_or_removed


def test_api_deployment_digest_is_a_note() -> None:
    new = base_template()
    new["Resources"]["Deployment1def"] = new["Resources"].pop("Deployment1abc")
    diff = compare(base_template(), new)
    assert not diff.resources
    assert diff.notes == [
        "`Api/Api` creates a new API deployment (the stage moves to it) (Deployment1abc → Deployment1def)"
    ]


def test_asset_contents_tell_a_real_change_from_a_path_dependent_hash(tmp_path: Path) -> None:
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    for root, digest in ((old_dir, HASH_A), (new_dir, HASH_B)):
        (root / f"asset.{digest}" / "pkg").mkdir(parents=True)
        (root / f"asset.{digest}" / "pkg" / "handler.py").write_text("x = 1\n")
    old, new = base_template(), base_template(code_hash=HASH_B)
    old["Resources"]["Fn1"]["Metadata"]["aws:asset:path"] = f"asset.{HASH_A}"
    new["Resources"]["Fn1"]["Metadata"]["aws:asset:path"] = f"asset.{HASH_B}"
    (same,) = compare(old, new, old_assembly=old_dir, new_assembly=new_dir).code
    assert not same.content_changed and "files identical" in same.items[0]
    (new_dir / f"asset.{HASH_B}" / "pkg" / "handler.py").write_text("x = 2\n")
    (new_dir / f"asset.{HASH_B}" / "pkg" / "extra.py").write_text("")
    (different,) = compare(old, new, old_assembly=old_dir, new_assembly=new_dir).code
    assert different.content_changed and "2 file(s) differ: +pkg/extra.py, ~pkg/handler.py" in different.items[0]


def test_report_and_exit_status() -> None:
    security = base_template()
    security["Resources"]["Url1"]["Properties"]["AuthType"] = "NONE"
    memory = base_template()
    memory["Resources"]["Fn1"]["Properties"]["MemorySize"] = 1024
    replaced = copy.deepcopy(memory)
    replaced["Resources"]["Bucket1"]["Properties"]["BucketName"] = "b"
    reports = {
        name: Report(title="t", context=[], diffs=[compare(base_template(), t)])
        for name, t in (("security", security), ("memory", memory), ("replaced", replaced))
    }
    assert [exit_status(reports["security"], f) for f in (None, "security", "replacement")] == [0, 1, 0]
    assert [exit_status(reports["memory"], f) for f in (None, "security", "replacement")] == [0, 0, 0]
    assert [exit_status(reports["replaced"], f) for f in (None, "security", "replacement")] == [0, 0, 1]
    assert exit_status(Report(title="t", context=[], diffs=[], errors=["boom"]), None) == 2
    markdown = to_markdown(reports["replaced"])
    assert markdown.index("### 🚨 Replaced or removed") < markdown.index("### ✏️ Changed")
    assert "⚠️ DATA: the old one is RETAINED" in markdown and "`MemorySize: 512 → 1024`" in markdown
    text = to_text(reports["security"])
    assert "SECURITY-RELEVANT (1)" in text and 'AuthType: "AWS_IAM" → "NONE"' in text
