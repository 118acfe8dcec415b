"""A worker process's environment: the function's, as its template declares it, made local.

- the function's variables: tools.local_lambda.local_environment (template variables, the
  image's ENV, layer and image paths mapped to this checkout, committed fixture models for
  models an image build would bake in). As with `make invoke`, a variable the function
  declares takes your shell's value when you set one;
- values only known at deploy time (bucket names...) come from the demo data (demo_data.py);
- AWS: dummy credentials, the local region, and S3 pointed at the embedded S3, so nothing a
  function does can reach a real AWS account; every other AWS_* variable of your shell
  (profile, session token, endpoints) is left out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from tools.cloud_assembly import FunctionDefinition
from tools.local_lambda import LOCAL_REGION, local_environment

LOCAL_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": LOCAL_REGION,
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def worker_environment(
    definition: FunctionDefinition,
    *,
    shell: Mapping[str, str],
    s3_endpoint: str,
    deploy_time_values: Mapping[str, str],
) -> tuple[dict[str, str], list[str]]:
    """The whole environment of the function's workers, and notes on substitutions made."""
    without_aws = {name: value for name, value in shell.items() if not name.startswith("AWS_")}
    function_env, notes = local_environment(definition, {**without_aws, **deploy_time_values})
    environment = {
        **without_aws,
        **function_env,
        **LOCAL_AWS_ENVIRONMENT,
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
    }
    return environment, notes
