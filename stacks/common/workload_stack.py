"""What every stack of the app does the same way: deploy to the environment's account and region
with a description; a workload stack adds the topic its alarms notify and names its resources
after the workload and the environment. A stack class sets DESCRIPTION (and RESOURCE_PREFIX,
COST_TAG) and composes its own constructs in `compose(settings)`: no constructor of its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aws_cdk import Environment, Stack
from constructs import Construct

from stacks.common.alarm_topic import AlarmTopic
from stacks.common.async_invoke import AsyncInvoke
from stacks.common.inference_function import InferenceFunction
from stacks.common.monthly_budget import tag_workload
from stacks.common.packages import ImagePackage, ZipPackage, python_image_code
from stacks.common.s3_model import grant_model_read
from stacks.settings import EnvironmentSettings, FunctionSettings


class EnvironmentStack(Stack):
    """A stack deployed to the account and region of one environment's settings, described by
    its class' DESCRIPTION."""

    DESCRIPTION: ClassVar[str]

    def __init__(self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=settings.account, region=settings.region),
            description=self.DESCRIPTION,
        )
        self.settings = settings
        self.setup()
        self.compose(settings)

    def setup(self) -> None:
        """What every stack of the kind creates before its own resources (nothing here)."""

    def compose(self, settings: EnvironmentSettings) -> None:
        """The stack's own constructs and grants."""
        raise NotImplementedError(f"{type(self).__name__} composes nothing")


class WorkloadStack(EnvironmentStack):
    """One workload's stack: `resource_name` (RESOURCE_PREFIX-<env>, e.g. "checkbox-dev") names its
    function, API, job...; `alarm_topic` is the topic every alarm of the stack notifies. With
    COST_TAG, every resource is tagged `workload=<resource_name>`, the tag a MonthlyBudget filters on."""

    RESOURCE_PREFIX: ClassVar[str]
    COST_TAG: ClassVar[bool] = False

    def setup(self) -> None:
        self.resource_name = f"{self.RESOURCE_PREFIX}-{self.settings.name}"
        if self.COST_TAG:
            tag_workload(self, self.resource_name)
        self.alarm_topic = AlarmTopic(self, "Alarms", email=self.settings.monitoring.alarm_email).topic

    def add_function(
        self,
        construct_id: str,
        *,
        service_name: str,
        description: str,
        package: ZipPackage | ImagePackage,
        settings: FunctionSettings,
        environment: Mapping[str, str],
        no_dead_letter_queue_reason: str | None = None,
        async_invoke: AsyncInvoke | None = None,
    ) -> InferenceFunction:
        """The workload's function, named `resource_name`, monitored as the environment says and
        alarming to the stack's topic."""
        return InferenceFunction(
            self,
            construct_id,
            function_name=self.resource_name,
            service_name=service_name,
            description=description,
            package=package,
            settings=settings,
            monitoring=self.settings.monitoring,
            alarm_topic=self.alarm_topic,
            environment=environment,
            no_dead_letter_queue_reason=no_dead_letter_queue_reason,
            async_invoke=async_invoke,
        )

    def add_image_function(
        self,
        construct_id: str,
        *,
        folder: str,
        settings: FunctionSettings,
        environment: Mapping[str, str],
        context_paths: tuple[str, ...],
        build_args: Mapping[str, str] | None = None,
        model_s3_uri: str | None = None,
        **options: Any,
    ) -> InferenceFunction:
        """The workload's container function, built from functions/<folder> (its service name);
        `options` are add_function's. A model read from S3 (`model_s3_uri`) is both told to the
        function (MODEL_S3_URI) and granted to its role, read-only."""
        code = python_image_code(
            folder=folder,
            architecture=settings.architecture,
            context_paths=context_paths,
            build_args=build_args,
        )
        if model_s3_uri:
            environment = {**environment, "MODEL_S3_URI": model_s3_uri}
        function = self.add_function(
            construct_id,
            service_name=folder,
            package=ImagePackage(code=code),
            settings=settings,
            environment=environment,
            **options,
        )
        if model_s3_uri:
            grant_model_read(function.role, s3_uri=model_s3_uri)
        return function
