"""Mask component predictor: a CRF tagger in a small ZIP function, its model in a layer."""

from __future__ import annotations

from stacks.common.packages import ModelLayer, ZipPackage, python_function_code
from stacks.common.paths import FUNCTIONS_DIR
from stacks.common.settings_environment import settings_environment
from stacks.common.workload_stack import WorkloadStack
from stacks.settings import EnvironmentSettings

FOLDER = "mask_predictor"
HANDLER = f"{FOLDER}.handler.lambda_handler"


class MaskPredictorStack(WorkloadStack):
    DESCRIPTION = "Mask name component predictor (CRF) on AWS Lambda"
    RESOURCE_PREFIX = "mask-predictor"

    def compose(self, settings: EnvironmentSettings) -> None:
        workload = settings.mask_predictor
        architecture = workload.function.architecture
        model = ModelLayer(
            self,
            "Model",
            model_dir=FUNCTIONS_DIR / FOLDER / "model",
            folder_name=f"{FOLDER}_model",
            architecture=architecture,
            description="Mask predictor CRF model (CRFsuite file + metadata)",
        )
        self.predictor = self.add_function(
            "Predictor",
            service_name=FOLDER,
            description="Labels respirator product name tokens with nine components (CRF)",
            package=ZipPackage(
                code=python_function_code(folder=FOLDER, architecture=architecture, excludes=["model"]),
                handler=HANDLER,
                layers=[model.layer],
            ),
            settings=workload.function,
            environment={
                "MODEL_DIR": model.mount_path,
                **settings_environment(workload, "max_batch_names", "max_name_chars", "max_request_bytes"),
            },
        )
