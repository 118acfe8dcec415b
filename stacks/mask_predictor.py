"""Mask component predictor: a CRF tagger in a small ZIP function, its model in a layer."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from stacks.common.alarm_topic import AlarmTopic
from stacks.common.inference_function import InferenceFunction
from stacks.common.packages import ModelLayer, ZipPackage, python_function_code
from stacks.common.paths import FUNCTIONS_DIR
from stacks.settings import EnvironmentSettings

FOLDER = "mask_predictor"
HANDLER = f"{FOLDER}.handler.lambda_handler"


class MaskPredictorStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=settings.account, region=settings.region),
            description="Mask name component predictor (CRF) on AWS Lambda",
        )
        workload = settings.mask_predictor
        architecture = workload.function.architecture
        alarm_topic = AlarmTopic(self, "Alarms", email=settings.monitoring.alarm_email).topic
        model = ModelLayer(
            self,
            "Model",
            model_dir=FUNCTIONS_DIR / FOLDER / "model",
            folder_name=f"{FOLDER}_model",
            architecture=architecture,
            description="Mask predictor CRF model (CRFsuite file + metadata)",
        )
        self.predictor = InferenceFunction(
            self,
            "Predictor",
            function_name=f"mask-predictor-{settings.name}",
            service_name=FOLDER,
            description="Labels respirator product name tokens with nine components (CRF)",
            package=ZipPackage(
                code=python_function_code(folder=FOLDER, architecture=architecture, excludes=["model"]),
                handler=HANDLER,
                layers=[model.layer],
            ),
            settings=workload.function,
            monitoring=settings.monitoring,
            alarm_topic=alarm_topic,
            environment={
                "MODEL_DIR": model.mount_path,
                "MAX_BATCH_NAMES": str(workload.max_batch_names),
                "MAX_NAME_CHARS": str(workload.max_name_chars),
                "MAX_REQUEST_BYTES": str(workload.max_request_bytes),
            },
        )
