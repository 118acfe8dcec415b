"""An API Gateway REST API in front of one function: every method authenticated, throttled,
validated, access-logged and traced.

Auth is an API key with a usage plan (clients send `x-api-key`) or IAM (SigV4-signed
requests); an unauthenticated method cannot be configured. Binary media types make API
Gateway hand images and multipart bodies to the function base64-encoded and untouched.

Logging: every request goes to the access-log group (JSON), which needs no account setting.
Execution logs (API Gateway's own errors) are written with the account's CloudWatch role, an
account- and region-wide setting this construct never creates or deletes (`cloud_watch_role=
False`; see stacks/account.py): they are on only when settings say the account has that role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import CfnOutput
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.common.compliance import acknowledge
from stacks.common.log_group import log_group
from stacks.settings import RestApiSettings

# Every field `AccessLogFormat.json_with_standard_fields` offers, all logged: who called, what,
# from where, and how it went.
STANDARD_ACCESS_LOG_FIELDS = (
    "caller",
    "http_method",
    "ip",
    "protocol",
    "request_time",
    "resource_path",
    "response_length",
    "status",
    "user",
)

# What cdk-nag asks of every REST API that this one answers another way (rule -> how).
ANSWERED_FINDINGS = {
    "AwsSolutions-APIG3": "No WAF: every method needs an API key or IAM signature and the stage is throttled; a web ACL costs more than this API.",
    "AwsSolutions-COG4": "Callers are services, not Cognito users: they authenticate with an API key (usage plan) or IAM (SigV4).",
}


@dataclass(frozen=True, kw_only=True)
class Route:
    path: str  # e.g. "/predict"
    method: str  # e.g. "POST"
    required_headers: Sequence[str] = ()  # rejected by API Gateway with 400 when missing
    # Checked by API Gateway for application/json bodies; other content types (images,
    # multipart) pass through to the function, which validates them itself.
    json_body_schema: apigateway.JsonSchema | None = None


class InferenceRestApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        target: lambda_.IFunction,
        routes: Sequence[Route],
        binary_media_types: Sequence[str],
        settings: RestApiSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = log_group(self, "AccessLogs", retention_days=settings.access_log_retention_days)
        use_iam = settings.auth == "iam"
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=api_name,
            description=f"{api_name}: authenticated ({settings.auth}) access to the function",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            binary_media_types=list(binary_media_types),
            # Never the account-wide AWS::ApiGateway::Account setting and its role: deleting this
            # stack would leave every REST API in the account and region pointing at a deleted
            # role (aws/aws-cdk#10878). The opt-in Account-<env> stack owns them.
            cloud_watch_role=False,
            deploy_options=apigateway.StageOptions(
                stage_name="v1",
                tracing_enabled=True,
                metrics_enabled=True,
                # Execution logs need the account's CloudWatch role (RestApiSettings.execution_logging).
                logging_level=(
                    apigateway.MethodLoggingLevel.ERROR
                    if settings.execution_logging
                    else apigateway.MethodLoggingLevel.OFF
                ),
                data_trace_enabled=False,  # would log request bodies: images, possibly personal data
                throttling_rate_limit=settings.throttle_rate_per_second,
                throttling_burst_limit=settings.throttle_burst,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    **dict.fromkeys(STANDARD_ACCESS_LOG_FIELDS, True)
                ),
            ),
            default_method_options=apigateway.MethodOptions(
                authorization_type=apigateway.AuthorizationType.IAM if use_iam else apigateway.AuthorizationType.NONE,
                api_key_required=not use_iam,
            ),
        )
        validator = self.api.add_request_validator(
            "Validator", validate_request_parameters=True, validate_request_body=True
        )
        integration = apigateway.LambdaIntegration(target, proxy=True)
        for route in routes:
            resource = self.api.root.resource_for_path(route.path)
            request_models = None
            if route.json_body_schema is not None:
                model = self.api.add_model(
                    f"{resource.node.id}{route.method.title()}Body",
                    content_type="application/json",
                    schema=route.json_body_schema,
                )
                request_models = {"application/json": model}
            resource.add_method(
                route.method,
                integration,
                request_validator=validator,
                request_models=request_models,
                request_parameters={f"method.request.header.{h}": True for h in route.required_headers},
            )
        if not use_iam:
            self._add_api_key_and_usage_plan(api_name, settings)
        # RestApi itself outputs the stage URL ("ApiEndpoint..."); no second copy here.
        self._acknowledge_findings(settings)

    def _add_api_key_and_usage_plan(self, api_name: str, settings: RestApiSettings) -> None:
        self.api_key = self.api.add_api_key("ApiKey", description=f"Default client key for {api_name}")
        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            name=f"{api_name}-default",
            throttle=apigateway.ThrottleSettings(
                rate_limit=settings.throttle_rate_per_second, burst_limit=settings.throttle_burst
            ),
            api_stages=[apigateway.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        self.usage_plan.add_api_key(self.api_key)
        CfnOutput(
            self,
            "ApiKeyId",
            value=self.api_key.key_id,
            description="aws apigateway get-api-key --include-value --api-key <id> prints the key",
        )

    def _acknowledge_findings(self, settings: RestApiSettings) -> None:
        for rule_id, reason in ANSWERED_FINDINGS.items():
            acknowledge(self.api, rule_id=rule_id, reason=reason)
        if settings.auth == "api_key":
            acknowledge(
                self.api,
                rule_id="AwsSolutions-APIG4",
                reason="API-key auth chosen in settings: every method requires the key of a throttled usage plan; set auth='iam' for SigV4.",
            )
        if not settings.execution_logging:
            acknowledge(
                self.api.deployment_stage,
                rule_id="AwsSolutions-APIG6",
                reason=(
                    "Execution logging is off in settings (RestApiSettings.execution_logging) until the account's"
                    " API Gateway CloudWatch role is set (Account-<env> stack): it is account-wide, not this"
                    " stack's. Every request is still in the JSON access log."
                ),
            )
