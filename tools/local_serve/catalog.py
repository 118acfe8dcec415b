"""What `make serve` serves, read from the synthesized templates (cdk.out), never restated.

Per function: its definition (name, handler, memory, timeout, environment: cloud_assembly),
the aliases callers may name as a qualifier, its Function URL if it has one, and the REST API
routes in front of it (paths, methods, API-key requirement, binary media types, stage).

HTTP routes on the local HTTP port, one prefix per function (its folder, "_" -> "-"):
- a function behind a REST API: ``/<prefix>/<resource path>`` -> a REST proxy event (v1);
- otherwise, a function whose handler answers Function URL events: ``/<prefix>/<path>`` -> a
  Function URL event (payload 2.0), whether or not the environment deploys the URL (it is
  then labelled "local only");
- other functions (the batch predictor): the Invoke API only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.workloads import WORKLOADS
from tools.cloud_assembly import CloudAssembly, FunctionDefinition
from tools.local_serve.template_values import deploy_time_values, local_bucket_names

# Handlers that recognise a Function URL event (payload 2.0) and answer it as HTTP. A
# function with a deployed Function URL is served as one whatever this says.
FUNCTION_URL_HANDLERS = frozenset(workload.name for workload in WORKLOADS if workload.http == "function_url")


@dataclass(frozen=True, kw_only=True)
class RestRoute:
    path: str  # the resource path, e.g. "/predict"
    method: str  # "GET", "POST"... or "ANY"
    api_key_required: bool
    required_headers: tuple[str, ...]  # method.request.header.X: true -> 400 when missing


@dataclass(frozen=True, kw_only=True)
class RestApi:
    name: str
    stage: str
    binary_media_types: tuple[str, ...]
    routes: tuple[RestRoute, ...]

    def route(self, path: str, method: str) -> RestRoute | None:
        for route in self.routes:
            if route.path == path and route.method in (method, "ANY"):
                return route
        return None


@dataclass(frozen=True, kw_only=True)
class FunctionUrl:
    auth_type: str  # "AWS_IAM" or "NONE" (not enforced locally)
    qualifier: str | None


@dataclass(frozen=True, kw_only=True)
class ServedFunction:
    definition: FunctionDefinition
    aliases: tuple[str, ...]
    function_url: FunctionUrl | None
    rest_api: RestApi | None
    # Environment values the stack creates at deploy time (bucket names...), resolved locally.
    deploy_time_values: dict[str, str] = field(default_factory=dict)
    buckets: tuple[str, ...] = ()  # local names of the buckets its environment names

    @property
    def name(self) -> str:
        return self.definition.function_name

    @property
    def folder(self) -> str:
        return self.definition.folder or self.definition.logical_id

    @property
    def route_prefix(self) -> str:
        return "/" + self.folder.replace("_", "-")

    @property
    def http_kind(self) -> str | None:
        """ "rest_api", "function_url", or None (Invoke API only)."""
        if self.rest_api is not None:
            return "rest_api"
        if self.function_url is not None or self.folder in FUNCTION_URL_HANDLERS:
            return "function_url"
        return None

    @property
    def http_qualifier(self) -> str | None:
        """The alias the HTTP front door invokes (the URL's or the API integration's)."""
        if self.function_url is not None:
            return self.function_url.qualifier
        return self.aliases[0] if self.rest_api is not None and self.aliases else None

    def accepts_qualifier(self, qualifier: str | None) -> bool:
        return qualifier in (None, "", "$LATEST") or qualifier in self.aliases


def served_functions(cdk_out: Path, *, only: Sequence[str] = ()) -> list[ServedFunction]:
    """Every function of the assembly (or those named in ``only``: folder or function name)."""
    assembly = CloudAssembly(cdk_out)
    served = []
    for definition in assembly.functions():
        if definition.handler is None or not (definition.runtime or "python").startswith("python"):
            continue  # e.g. a CDK provider's Node.js handler: not a workload, not runnable here
        resources = assembly.template(definition.stack_name)["Resources"]
        bucket_names = local_bucket_names(resources)
        named_buckets = _referenced_ids(definition.environment) & set(bucket_names)
        served.append(
            ServedFunction(
                definition=definition,
                aliases=tuple(_aliases(resources, definition.logical_id)),
                function_url=_function_url(resources, definition.logical_id),
                rest_api=_rest_api(resources, definition.logical_id),
                deploy_time_values=deploy_time_values(definition.environment, bucket_names),
                buckets=tuple(sorted(bucket_names[b] for b in named_buckets)),
            )
        )
    if only:
        wanted = set(only)
        unknown = wanted - {f.name for f in served} - {f.folder for f in served}
        if unknown:
            known = ", ".join(sorted(f.folder for f in served))
            raise LookupError(f"no function {', '.join(sorted(unknown))} in {cdk_out}; known: {known}")
        served = [f for f in served if f.name in wanted or f.folder in wanted]
    return served


def _of_type(resources: dict[str, Any], resource_type: str) -> Iterable[tuple[str, dict[str, Any]]]:
    for logical_id, resource in resources.items():
        if resource["Type"] == resource_type:
            yield logical_id, resource.get("Properties", {})


def _referenced_ids(value: Any) -> set[str]:
    """Logical ids a template value refers to (Ref, Fn::GetAtt), anywhere inside it."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        return set().union(*(_referenced_ids(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_referenced_ids(v) for v in value)) if value else set()
    return set()


def _alias_ids(resources: dict[str, Any], function_id: str) -> dict[str, str]:
    return {
        alias_id: properties["Name"]
        for alias_id, properties in _of_type(resources, "AWS::Lambda::Alias")
        if function_id in _referenced_ids(properties.get("FunctionName"))
    }


def _aliases(resources: dict[str, Any], function_id: str) -> list[str]:
    return sorted(_alias_ids(resources, function_id).values())


def _function_url(resources: dict[str, Any], function_id: str) -> FunctionUrl | None:
    targets = {function_id, *_alias_ids(resources, function_id)}
    for _, properties in _of_type(resources, "AWS::Lambda::Url"):
        if _referenced_ids(properties.get("TargetFunctionArn")) & targets:
            return FunctionUrl(auth_type=properties.get("AuthType", "AWS_IAM"), qualifier=properties.get("Qualifier"))
    return None


def _rest_api(resources: dict[str, Any], function_id: str) -> RestApi | None:
    targets = {function_id, *_alias_ids(resources, function_id)}
    for api_id, api in _of_type(resources, "AWS::ApiGateway::RestApi"):
        paths = _resource_paths(resources, api_id)
        routes = []
        for _, method in _of_type(resources, "AWS::ApiGateway::Method"):
            integration = method.get("Integration", {})
            if api_id not in _referenced_ids(method.get("RestApiId")):
                continue
            if integration.get("Type") != "AWS_PROXY" or not _referenced_ids(integration.get("Uri")) & targets:
                continue
            resource_ids = _referenced_ids(method.get("ResourceId"))
            path = next((paths[r] for r in resource_ids if r in paths), "/")
            routes.append(
                RestRoute(
                    path=path,
                    method=method["HttpMethod"].upper(),
                    api_key_required=bool(method.get("ApiKeyRequired", False)),
                    required_headers=tuple(
                        name.removeprefix("method.request.header.")
                        for name, required in (method.get("RequestParameters") or {}).items()
                        if required and name.startswith("method.request.header.")
                    ),
                )
            )
        if routes:
            stages = [
                p["StageName"]
                for _, p in _of_type(resources, "AWS::ApiGateway::Stage")
                if api_id in _referenced_ids(p.get("RestApiId"))
            ]
            return RestApi(
                name=str(api.get("Name", api_id)),
                stage=stages[0] if stages else "prod",
                binary_media_types=tuple(api.get("BinaryMediaTypes", ())),
                routes=tuple(sorted(routes, key=lambda r: (r.path, r.method))),
            )
    return None


def _resource_paths(resources: dict[str, Any], api_id: str) -> dict[str, str]:
    """Logical id of each AWS::ApiGateway::Resource of the API -> its full path."""
    parts = {
        resource_id: properties
        for resource_id, properties in _of_type(resources, "AWS::ApiGateway::Resource")
        if api_id in _referenced_ids(properties.get("RestApiId"))
    }

    def path_of(resource_id: str) -> str:
        properties = parts[resource_id]
        parents = [p for p in _referenced_ids(properties.get("ParentId")) if p in parts]
        prefix = path_of(parents[0]) if parents else ""
        return f"{prefix}/{properties['PathPart']}"

    return {resource_id: path_of(resource_id) for resource_id in parts}
