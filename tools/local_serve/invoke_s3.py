"""`make invoke` for a function whose environment names buckets its stack creates (the batch
predictor's data buckets, the checkbox detector's uploads bucket): when none of those variables is set, an embedded S3 (embedded_s3.py, moto's server
on loopback) holding `make serve`'s demo data (demo_data.py) under the local bucket names its
template declares (template_values.py), started for the one invocation and stopped after it.

With every such variable set, nothing is started: the function uses your buckets (and
whatever S3 AWS_ENDPOINT_URL_S3 and friends point at), as before. With only some set, the
invocation is refused: a mix of your buckets and demo buckets cannot work.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tools.cloud_assembly import FunctionDefinition
from tools.local_lambda import LOCAL_REGION, UnresolvedEnvironmentError
from tools.local_serve.catalog import served_functions
from tools.local_serve.demo_data import demo_data_for
from tools.local_serve.embedded_s3 import EmbeddedS3
from tools.local_serve.environment import LOCAL_AWS_ENVIRONMENT


@dataclass
class DemoS3:
    """A running embedded S3 and what the function needs to use it."""

    endpoint_url: str
    variables: dict[str, str]  # the function's deploy-time variables (+ local settings)
    aws: dict[str, str]  # dummy credentials, the local region, S3's endpoint
    notes: list[str] = field(default_factory=list)


def deploy_time_variables(fn: FunctionDefinition) -> list[str]:
    """The variables whose template values only exist once the stack is deployed."""
    return sorted(name for name, value in fn.environment.items() if not isinstance(value, str))


def wants_demo_s3(fn: FunctionDefinition, environ: Mapping[str, str]) -> bool:
    """True when none of the function's deploy-time variables is set (so: the embedded S3);
    False when all are or there are none; refused when only some are."""
    names = deploy_time_variables(fn)
    missing = [name for name in names if name not in environ]
    if not names or not missing:
        return False
    if len(missing) < len(names):
        raise UnresolvedEnvironmentError(
            f"{fn.function_name}: {', '.join(missing)} not set while"
            f" {', '.join(sorted(set(names) - set(missing)))} are: set all of them (your own buckets)"
            " or none (an embedded S3 with the demo data)"
        )
    return True


@contextmanager
def demo_s3(cdk_out: Path, fn: FunctionDefinition, environ: Mapping[str, str]) -> Iterator[DemoS3]:
    """The embedded S3 on a free loopback port with the function's demo buckets, for as long as
    the block runs. LookupError when a deploy-time variable has no local value."""
    (served,) = [f for f in served_functions(cdk_out, only=[fn.function_name]) if f.folder == fn.folder]
    demo = demo_data_for(served)
    unresolved = sorted(set(deploy_time_variables(fn)) - set(demo.environment))
    if unresolved:
        raise LookupError(
            f"{fn.function_name} takes {', '.join(unresolved)} from resources created at deploy time"
            " that have no local stand-in; set them in your environment to run it locally"
        )
    # The demo's optional settings (the S3 trigger's model) give way to yours.
    local_settings = {name: value for name, value in demo.local_settings.items() if name not in environ}
    server = EmbeddedS3(port=0, region_name=LOCAL_REGION)
    try:
        server.start()
        server.put(demo.buckets)
        names = ", ".join(f"{name}={demo.environment[name]}" for name in deploy_time_variables(fn))
        notes = [
            f"{', '.join(deploy_time_variables(fn))} are created at deploy time and none is set in your"
            f" environment: running against an embedded S3 on {server.endpoint_url} with `make serve`'s"
            f" demo data ({names}). Set them (and AWS_ENDPOINT_URL_S3) to use your own S3.",
            *demo.notes,
            *(
                f"{name} is not set by the template; the demo uses {value} (set {name} to override)"
                for name, value in local_settings.items()
            ),
        ]
        yield DemoS3(
            endpoint_url=server.endpoint_url,
            variables={**demo.environment, **local_settings},
            aws={**LOCAL_AWS_ENVIRONMENT, "AWS_ENDPOINT_URL_S3": server.endpoint_url},
            notes=notes,
        )
    finally:
        server.stop()
