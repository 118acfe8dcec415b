"""Sentiment: DistilBERT as ONNX in a container function, a grant for callers, a budget."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from stacks.common.alarm_topic import AlarmTopic
from stacks.common.inference_function import InferenceFunction
from stacks.common.invoker_policy import InvokerPolicy
from stacks.common.monthly_budget import MonthlyBudget, tag_workload
from stacks.common.packages import ImagePackage, python_image_code
from stacks.common.s3_model import grant_model_read
from stacks.settings import EnvironmentSettings

FOLDER = "sentiment"
# What the image build reads from the repository (functions/sentiment/Dockerfile's COPYs).
IMAGE_CONTEXT = ("functions/sentiment", "functions/lambda_common", "training/sentiment", "requirements/export.txt")


class SentimentStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=settings.account, region=settings.region),
            description="Sentiment classification (DistilBERT, ONNX Runtime) on AWS Lambda",
        )
        workload = settings.sentiment
        function_name = f"sentiment-{settings.name}"
        tag_workload(self, function_name)
        alarm_topic = AlarmTopic(self, "Alarms", email=settings.monitoring.alarm_email).topic
        environment = {
            "MAX_TEXTS": str(workload.max_texts),
            "MAX_TEXT_CHARS": str(workload.max_text_chars),
            "BATCH_SIZE": str(workload.batch_size),
        }
        if workload.model_s3_uri:
            environment["MODEL_S3_URI"] = workload.model_s3_uri
        self.classifier = InferenceFunction(
            self,
            "Classifier",
            function_name=function_name,
            service_name=FOLDER,
            description="Classifies texts as positive or negative (DistilBERT, ONNX Runtime)",
            package=ImagePackage(
                code=python_image_code(
                    folder=FOLDER,
                    architecture=workload.function.architecture,
                    context_paths=IMAGE_CONTEXT,
                    build_args={"MODEL_ID": workload.model_id, "QUANTIZE": str(workload.quantize).lower()},
                )
            ),
            settings=workload.function,
            monitoring=settings.monitoring,
            alarm_topic=alarm_topic,
            environment=environment,
        )
        if workload.model_s3_uri:
            grant_model_read(self.classifier.role, s3_uri=workload.model_s3_uri)
        self.invoker_policy = InvokerPolicy(
            self,
            "Invoker",
            function=self.classifier.function,
            alias=self.classifier.alias,
            export_name=f"{function_name}-invoker-policy",
        ).policy
        if workload.budget:
            MonthlyBudget(
                self,
                "Budget",
                workload=function_name,
                limit_usd=workload.budget.monthly_limit_usd,
                topic=alarm_topic,
                email=workload.budget.email,
            )
