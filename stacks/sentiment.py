"""Sentiment: DistilBERT as ONNX in a container function, a grant for callers, a budget."""

from __future__ import annotations

from stacks.common.invoker_policy import InvokerPolicy
from stacks.common.monthly_budget import MonthlyBudget
from stacks.common.settings_environment import settings_environment
from stacks.common.workload_stack import WorkloadStack
from stacks.settings import EnvironmentSettings

FOLDER = "sentiment"
# What the image build reads from the repository (functions/sentiment/Dockerfile's COPYs).
IMAGE_CONTEXT = ("functions/sentiment", "functions/lambda_common", "training/sentiment", "requirements/export.txt")


class SentimentStack(WorkloadStack):
    DESCRIPTION = "Sentiment classification (DistilBERT, ONNX Runtime) on AWS Lambda"
    RESOURCE_PREFIX = "sentiment"
    COST_TAG = True  # every resource tagged workload=<resource_name>, for cost allocation

    def compose(self, settings: EnvironmentSettings) -> None:
        workload = settings.sentiment
        self.classifier = self.add_image_function(
            "Classifier",
            folder=FOLDER,
            description="Classifies texts as positive or negative (DistilBERT, ONNX Runtime)",
            settings=workload.function,
            environment=settings_environment(workload, "max_texts", "max_text_chars", "batch_size"),
            context_paths=IMAGE_CONTEXT,
            build_args={"MODEL_ID": workload.model_id, "QUANTIZE": str(workload.quantize).lower()},
            model_s3_uri=workload.model_s3_uri,
        )
        self.invoker_policy = InvokerPolicy(
            self,
            "Invoker",
            function=self.classifier.function,
            alias=self.classifier.alias,
            export_name=f"{self.resource_name}-invoker-policy",
        ).policy
        if workload.budget:
            MonthlyBudget(
                self,
                "Budget",
                workload=self.resource_name,
                limit_usd=workload.budget.monthly_limit_usd,
                topic=self.alarm_topic,
                email=workload.budget.email,
            )
