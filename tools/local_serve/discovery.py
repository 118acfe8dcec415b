"""The Lambda API's discovery operations on the local Invoke API, read from the synthesized
templates, shaped as Lambda answers them (field names and request URIs: botocore's lambda
2015-03-31 service model), so an unmodified boto3 client or `aws lambda ...` works:

    GET /2015-03-31/functions/                           ListFunctions  (MaxItems, Marker, FunctionVersion)
    GET /2015-03-31/functions/{name}                     GetFunction    (Qualifier)
    GET /2015-03-31/functions/{name}/configuration       GetFunctionConfiguration (Qualifier)
    GET /2015-03-31/functions/{name}/aliases             ListAliases    (FunctionVersion, MaxItems, Marker)
    GET /2015-03-31/functions/{name}/aliases/{alias}     GetAlias

{name} is a name, ``name:qualifier`` or an ARN; qualifiers are $LATEST and the template's
aliases. Everything runs as $LATEST here, so an alias's FunctionVersion is "$LATEST" (deployed,
it is the version CloudFormation publishes). Stand-ins for what only exists once deployed: the
account (123456789012), the role's ARN (its RoleName, or <stack>-<logical id>), a ZIP's code
location (the staged asset's file:// URI), CodeSha256 (the CDK asset hash, base64) and an
image's URI (the template's, with its pseudo parameters resolved; the asset hash as digest).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tools.cloud_assembly import CloudAssembly, directory_sizes
from tools.local_serve import invoke_protocol as protocol
from tools.local_serve.catalog import ServedFunction
from tools.local_serve.invoke_protocol import ACCOUNT_ID, LATEST, REGION, Answer
from tools.local_serve.template_values import resolve

API_PREFIX = "/2015-03-31/functions"
DEFAULT_PAGE = 50  # Lambda's page size when MaxItems is not given
MAX_PAGE = 10_000  # MaxListItems' maximum in the service model
DEFAULT_EPHEMERAL_STORAGE_MB = 512


@dataclass(frozen=True)
class DiscoveryRequest:
    operation: str  # "ListFunctions", "GetFunction", "GetFunctionConfiguration", "ListAliases", "GetAlias"
    function_ref: str | None  # as given in the path (name, name:qualifier or ARN)
    alias: str | None
    query: dict[str, str]


def parse_discovery_path(path: str) -> DiscoveryRequest | None:
    """The discovery operation a GET path names; None for any other path."""
    url = urlsplit(path)
    query = {name: values[0] for name, values in parse_qs(url.query, keep_blank_values=True).items()}
    if url.path.rstrip("/") == API_PREFIX:
        return DiscoveryRequest("ListFunctions", None, None, query)
    if not url.path.startswith(API_PREFIX + "/"):
        return None
    parts = [unquote(part) for part in url.path[len(API_PREFIX) + 1 :].rstrip("/").split("/")]
    if len(parts) == 1 and parts[0]:
        return DiscoveryRequest("GetFunction", parts[0], None, query)
    if len(parts) == 2 and parts[1] == "configuration":
        return DiscoveryRequest("GetFunctionConfiguration", parts[0], None, query)
    if len(parts) == 2 and parts[1] == "aliases":
        return DiscoveryRequest("ListAliases", parts[0], None, query)
    if len(parts) == 3 and parts[1] == "aliases" and parts[2]:
        return DiscoveryRequest("GetAlias", parts[0], parts[2], query)
    return None


def json_answer(document: dict[str, Any]) -> Answer:
    return Answer(
        status=HTTPStatus.OK,
        body=json.dumps(document).encode("utf-8"),
        headers=(("Content-Type", "application/json"), ("x-amzn-RequestId", protocol.new_request_id())),
    )


def invalid_parameter(message: str) -> Answer:
    return protocol.error_answer(HTTPStatus.BAD_REQUEST, "InvalidParameterValueException", message)


class Discovery:
    """Answers the discovery operations for the served functions (``functions()`` is called per
    request: the served set is fixed, but this stays honest if it is not)."""

    def __init__(self, functions: Callable[[], Sequence[ServedFunction]], *, cdk_out: Path | None) -> None:
        self._functions = functions
        self._assembly = CloudAssembly(cdk_out) if cdk_out is not None else None
        self._cache: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, str]]] = {}
        self._lock = threading.Lock()

    def respond(self, request: DiscoveryRequest) -> Answer:
        if request.operation == "ListFunctions":
            return self._list_functions(request.query)
        assert request.function_ref is not None
        name, path_qualifier = protocol.split_function_ref(request.function_ref)
        served = {f.name: f for f in self._functions()}.get(name)
        if request.operation in ("ListAliases", "GetAlias"):
            if served is None:
                return protocol.function_not_found(protocol.function_arn(name))
            return self._aliases(served, request)
        query_qualifier = request.query.get("Qualifier")
        if path_qualifier and query_qualifier and path_qualifier != query_qualifier:
            return invalid_parameter(
                "The derived qualifier from the function name does not match the specified qualifier."
            )
        qualifier = query_qualifier or path_qualifier or None
        if served is None or not served.accepts_qualifier(qualifier):
            return protocol.function_not_found(protocol.function_arn(name, qualifier))
        configuration, code, tags = self._describe(served)
        configuration = _qualified(configuration, served.name, qualifier)
        if request.operation == "GetFunctionConfiguration":
            return json_answer(configuration)
        document: dict[str, Any] = {"Configuration": configuration, "Code": code, "Tags": tags}
        reserved = self._properties(served).get("ReservedConcurrentExecutions")
        if reserved is not None:
            document["Concurrency"] = {"ReservedConcurrentExecutions": int(reserved)}
        return json_answer(document)

    # -- operations --------------------------------------------------------------------------

    def _list_functions(self, query: dict[str, str]) -> Answer:
        version = query.get("FunctionVersion")
        if version not in (None, "ALL"):
            return invalid_parameter(
                f"1 validation error detected: Value '{version[:40]}' at 'functionVersion' failed"
                " to satisfy constraint: Member must satisfy enum value set: [ALL]"
            )
        page = _page(query)
        if isinstance(page, Answer):
            return page
        start, size = page
        functions = sorted(self._functions(), key=lambda f: f.name)
        chosen = functions[start : start + size]
        document: dict[str, Any] = {"Functions": [self._describe(f)[0] for f in chosen]}
        if start + size < len(functions):
            document["NextMarker"] = _marker(start + size)
        return json_answer(document)

    def _aliases(self, served: ServedFunction, request: DiscoveryRequest) -> Answer:
        aliases = [_alias(served.name, alias) for alias in served.aliases]
        if request.operation == "GetAlias":
            found = [a for a in aliases if a["Name"] == request.alias]
            if not found:
                return protocol.error_answer(
                    HTTPStatus.NOT_FOUND,
                    "ResourceNotFoundException",
                    f"Cannot find alias arn: {protocol.function_arn(served.name, request.alias)}",
                )
            return json_answer(found[0])
        version = request.query.get("FunctionVersion")
        if version is not None:
            aliases = [a for a in aliases if a["FunctionVersion"] == version]
        page = _page(request.query)
        if isinstance(page, Answer):
            return page
        start, size = page
        document: dict[str, Any] = {"Aliases": aliases[start : start + size]}
        if start + size < len(aliases):
            document["NextMarker"] = _marker(start + size)
        return json_answer(document)

    # -- the documents -----------------------------------------------------------------------

    def _properties(self, served: ServedFunction) -> dict[str, Any]:
        return self._resources(served).get(served.definition.logical_id, {}).get("Properties", {})

    def _resources(self, served: ServedFunction) -> dict[str, Any]:
        if self._assembly is None:
            return {}
        return self._assembly.template(served.definition.stack_name).get("Resources", {})

    def _describe(self, served: ServedFunction) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
        """(FunctionConfiguration, FunctionCodeLocation, Tags), built once per function."""
        with self._lock:
            if served.name not in self._cache:
                self._cache[served.name] = self._build(served)
            return self._cache[served.name]

    def _build(self, served: ServedFunction) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
        fn = served.definition
        resources = self._resources(served)
        properties = self._properties(served)
        is_image = fn.package_type == "Image"
        variables = {name: value for name, value in fn.environment.items() if isinstance(value, str)}
        variables.update(served.deploy_time_values)
        code_hash = _code_hash(properties.get("Code", {}))
        configuration: dict[str, Any] = {
            "FunctionName": fn.function_name,
            "FunctionArn": protocol.function_arn(fn.function_name),
        }
        if not is_image:
            configuration["Runtime"] = fn.runtime
        configuration["Role"] = _role_arn(properties.get("Role"), resources, fn.stack_name)
        if not is_image:
            configuration["Handler"] = fn.handler
        code_size = 0 if is_image or fn.code_asset_dir is None else directory_sizes(fn.code_asset_dir)[1]
        configuration.update(
            {
                "CodeSize": code_size,
                "Description": str(properties.get("Description", "")),
                "Timeout": fn.timeout_seconds,
                "MemorySize": fn.memory_mb,
                "LastModified": self._last_modified(fn.stack_name),
                "CodeSha256": base64.b64encode(code_hash).decode(),
                "Version": LATEST,
            }
        )
        if variables:
            configuration["Environment"] = {"Variables": dict(sorted(variables.items()))}
        configuration["TracingConfig"] = {"Mode": properties.get("TracingConfig", {}).get("Mode", "PassThrough")}
        configuration["RevisionId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{fn.function_name}/{code_hash.hex()}"))
        layers = [_layer(layer, resources, fn.layer_asset_dirs) for layer in properties.get("Layers", [])]
        if layers:
            configuration["Layers"] = [layer for layer in layers if layer is not None]
        configuration.update(
            {
                "State": "Active",
                "LastUpdateStatus": "Successful",
                "PackageType": fn.package_type,
                "Architectures": list(properties.get("Architectures", [fn.architecture])),
                "EphemeralStorage": {
                    "Size": int(properties.get("EphemeralStorage", {}).get("Size", DEFAULT_EPHEMERAL_STORAGE_MB))
                },
                "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            }
        )
        if image_config := properties.get("ImageConfig"):
            configuration["ImageConfigResponse"] = {"ImageConfig": image_config}
        configuration["LoggingConfig"] = _logging_config(
            properties.get("LoggingConfig", {}), resources, fn.function_name
        )

        if is_image:
            image_uri = resolve(properties.get("Code", {}).get("ImageUri"), {}) or ""
            repository = image_uri.rsplit(":", 1)[0]
            code = {
                "RepositoryType": "ECR",
                "ImageUri": image_uri,
                "ResolvedImageUri": f"{repository}@sha256:{code_hash.hex()}",
            }
        else:
            location = fn.code_asset_dir.as_uri() if fn.code_asset_dir is not None else ""
            code = {"RepositoryType": "S3", "Location": location}
        tags = {
            str(tag["Key"]): str(tag["Value"])
            for tag in properties.get("Tags", [])
            if isinstance(tag, dict) and isinstance(tag.get("Value"), str)
        }
        tags.update({"aws:cloudformation:stack-name": fn.stack_name, "aws:cloudformation:logical-id": fn.logical_id})
        return configuration, code, dict(sorted(tags.items()))

    def _last_modified(self, stack_name: str) -> str:
        """When the template was synthesized, in Lambda's format (2024-05-01T12:00:00.000+0000)."""
        seconds = 0.0
        if self._assembly is not None:
            template = self._assembly.directory / f"{stack_name}.template.json"
            seconds = template.stat().st_mtime if template.exists() else 0.0
        moment = datetime.fromtimestamp(seconds, tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _qualified(configuration: dict[str, Any], name: str, qualifier: str | None) -> dict[str, Any]:
    if not qualifier:
        return configuration
    return {**configuration, "FunctionArn": protocol.function_arn(name, qualifier)}


def _alias(function_name: str, alias: str) -> dict[str, Any]:
    arn = protocol.function_arn(function_name, alias)
    return {
        "AliasArn": arn,
        "Name": alias,
        "FunctionVersion": LATEST,
        "Description": "",
        "RevisionId": str(uuid.uuid5(uuid.NAMESPACE_URL, arn)),
    }


def _page(query: dict[str, str]) -> tuple[int, int] | Answer:
    """(first index, page size) from Marker and MaxItems, or Lambda's refusal."""
    raw_size = query.get("MaxItems")
    try:
        size = DEFAULT_PAGE if raw_size is None else int(raw_size)
    except ValueError:  # only int(raw_size) raises, so raw_size is a string here
        return invalid_parameter(f"Invalid MaxItems: {str(raw_size)[:20]!r} is not a number")
    if not 1 <= size <= MAX_PAGE:
        return invalid_parameter(f"MaxItems must be between 1 and {MAX_PAGE}, got {size}")
    marker = query.get("Marker")
    if marker is None:
        return 0, size
    try:
        start = int(base64.urlsafe_b64decode(marker.encode()).decode().removeprefix("local:"))
    except ValueError:
        return invalid_parameter("Invalid pagination token: Marker was not returned by a previous call")
    return max(start, 0), size


def _marker(index: int) -> str:
    return base64.urlsafe_b64encode(f"local:{index}".encode()).decode()


def _code_hash(code: dict[str, Any]) -> bytes:
    """The CDK asset hash of the code (the S3 key's or the image tag's), as bytes."""
    key = code.get("S3Key") or (resolve(code.get("ImageUri"), {}) or "").rsplit(":", 1)[-1]
    stem = str(key).removesuffix(".zip")
    try:
        return bytes.fromhex(stem)
    except ValueError:
        return hashlib.sha256(stem.encode()).digest()


def _role_arn(role: Any, resources: dict[str, Any], stack_name: str) -> str:
    if isinstance(role, str):
        return role
    role_id = role.get("Fn::GetAtt", [None])[0] if isinstance(role, dict) else None
    declared = resources.get(role_id, {}).get("Properties", {}).get("RoleName") if role_id else None
    name = declared if isinstance(declared, str) else f"{stack_name}-{role_id or 'LocalRole'}"[:64]
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def _layer(layer: Any, resources: dict[str, Any], asset_dirs: tuple[Path, ...]) -> dict[str, Any] | None:
    if isinstance(layer, str):
        return {"Arn": layer, "CodeSize": 0}
    layer_id = layer.get("Ref") if isinstance(layer, dict) else None
    if layer_id not in resources:
        return None
    properties = resources[layer_id].get("Properties", {})
    name = properties.get("LayerName") if isinstance(properties.get("LayerName"), str) else layer_id
    key = str(properties.get("Content", {}).get("S3Key", ""))
    size = next((directory_sizes(d)[1] for d in asset_dirs if d.name == f"asset.{key.removesuffix('.zip')}"), 0)
    return {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{name}:1", "CodeSize": size}


def _logging_config(config: dict[str, Any], resources: dict[str, Any], function_name: str) -> dict[str, Any]:
    group = config.get("LogGroup")
    if isinstance(group, dict) and "Ref" in group:
        declared = resources.get(group["Ref"], {}).get("Properties", {}).get("LogGroupName")
        group = declared if isinstance(declared, str) else None
    return {
        "LogFormat": config.get("LogFormat", "Text"),
        **({"ApplicationLogLevel": config["ApplicationLogLevel"]} if "ApplicationLogLevel" in config else {}),
        **({"SystemLogLevel": config["SystemLogLevel"]} if "SystemLogLevel" in config else {}),
        "LogGroup": group if isinstance(group, str) else f"/aws/lambda/{function_name}",
    }
