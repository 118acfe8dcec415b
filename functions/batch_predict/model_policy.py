"""Which model files may be loaded from where: the trust policy, by file kind.

| extension               | kind   | loaded with                     | accepted from                      |
|-------------------------|--------|---------------------------------|------------------------------------|
| .skops                  | skops  | skops.io.load, default-trusted  | MODEL_BUCKET/MODEL_PREFIX          |
|                         |        | types only                      |                                    |
| .onnx                   | onnx   | onnxruntime                     | MODEL_BUCKET/MODEL_PREFIX          |
| .joblib, .pkl, .pickle  | pickle | joblib.load                     | TRUSTED_PICKLE_PREFIXES only       |

Why: unpickling runs whatever code the file names, so a joblib/pickle file is as trusted as
the people who can write where it lives. skops and ONNX files are data, not code. Pure.
"""

from __future__ import annotations

from batch_predict.locations import require_inside
from lambda_common.errors import ValidationError
from lambda_common.s3_uri import S3Location, S3Object

SKOPS = "skops"
ONNX = "onnx"
PICKLE = "pickle"
KIND_BY_EXTENSION = {".skops": SKOPS, ".onnx": ONNX, ".joblib": PICKLE, ".pkl": PICKLE, ".pickle": PICKLE}


def model_kind(obj: S3Object, *, field: str = "model_s3_uri") -> str:
    """SKOPS, ONNX or PICKLE from the key's extension; ValidationError for anything else."""
    name = obj.name.lower()
    for extension, kind in KIND_BY_EXTENSION.items():
        if name.endswith(extension):
            return kind
    raise ValidationError(
        f"{field}: cannot tell the model format of {obj.name[:100]!r} from its extension; use .skops or .onnx"
        " (or .joblib/.pkl/.pickle from a trusted prefix)"
    )


def require_trusted_source(
    obj: S3Object,
    *,
    kind: str,
    model_location: S3Location,
    trusted_pickle_prefixes: tuple[S3Location, ...],
    field: str = "model_s3_uri",
) -> None:
    """ValidationError unless a model of `kind` may be loaded from `obj`'s location."""
    if kind != PICKLE:
        require_inside(obj, model_location, field=field, purpose="load models from")
        return
    if any(prefix.contains(obj) for prefix in trusted_pickle_prefixes):
        return
    trusted = ", ".join(prefix.uri for prefix in trusted_pickle_prefixes) or "none configured"
    raise ValidationError(
        f"{field} {obj.uri} is a joblib/pickle file, and loading one runs any code it contains, so they are"
        f" loaded only from the trusted prefixes in TRUSTED_PICKLE_PREFIXES ({trusted}). Save the model with"
        " skops (skops.io.dump, .skops) or convert it to ONNX (skl2onnx, .onnx) and put it under"
        f" {model_location.uri}; or, if everyone who can write there is trusted, add its prefix to the"
        " trusted pickle prefixes in the stack's settings"
    )
