"""Loaded models behind one interface: scikit-learn estimators (skops or joblib/pickle files)
and ONNX models (onnxruntime), each answering labels and, for classifiers, class probabilities.

Loading is `load_model`; where a file may come from is model_policy.py, and the cache is
model_store.py. scikit-learn, skops, joblib and onnxruntime are imported on first use, so a
function serving only ONNX models never imports scikit-learn.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from batch_predict.model_policy import ONNX, PICKLE, SKOPS
from lambda_common.errors import ValidationError
from lambda_common.json_input import loads
from lambda_common.onnx_sessions import session_options

# scikit-learn warns when a model fitted on named columns gets a bare array. The function
# always passes the columns in the model's own order (features.resolve_feature_columns), so
# this one warning, and only it, is noise.
_FEATURE_NAMES_WARNING = "X does not have valid feature names"
# ONNX metadata_props a model may carry (training/batch_predict/build_fixtures.py sets both):
# JSON lists of the feature names (input column order) and of the class labels.
ONNX_FEATURE_NAMES_KEY = "feature_names"
ONNX_CLASSES_KEY = "classes"
_ONNX_INPUT_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


@dataclass(frozen=True, kw_only=True)
class ModelIdentity:
    s3_uri: str
    etag: str
    format: str  # skops | onnx | joblib | pickle

    def as_dict(self) -> dict[str, str]:
        return {"s3_uri": self.s3_uri, "etag": self.etag, "format": self.format}


@dataclass(frozen=True, kw_only=True)
class Prediction:
    labels: np.ndarray  # one per row
    probabilities: np.ndarray | None = None  # rows x classes, float64
    classes: tuple[Any, ...] | None = None  # the probability columns' classes


class Model:
    """What the job loop needs from any model."""

    identity: ModelIdentity
    feature_names: tuple[str, ...] | None = None  # as trained, in order, if the model knows them
    feature_count: int | None = None
    has_probabilities: bool = False

    def predict(self, features: np.ndarray, *, probabilities: bool) -> Prediction:
        raise NotImplementedError


class SklearnModel(Model):
    def __init__(self, estimator: Any, *, identity: ModelIdentity) -> None:
        self.identity = identity
        self.estimator = estimator
        names = getattr(estimator, "feature_names_in_", None)
        self.feature_names = tuple(str(name) for name in names) if names is not None else None
        count = getattr(estimator, "n_features_in_", None)
        self.feature_count = int(count) if isinstance(count, (int, np.integer)) else None
        self.has_probabilities = hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_")

    def predict(self, features: np.ndarray, *, probabilities: bool) -> Prediction:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_FEATURE_NAMES_WARNING, category=UserWarning)
            labels = np.asarray(self.estimator.predict(features))
            if not probabilities:
                return Prediction(labels=labels)
            matrix = np.asarray(self.estimator.predict_proba(features), dtype=np.float64)
        return Prediction(labels=labels, probabilities=matrix, classes=_plain_tuple(tuple(self.estimator.classes_)))


class OnnxModel(Model):
    """A scikit-learn model converted with skl2onnx: one 2-D float input (or one [N, 1] input per
    feature, named after it); a regressor's one output, or a classifier's label output and its
    probabilities, either as ZipMap (a list of {class: probability}) or as a plain matrix."""

    def __init__(self, session: Any, *, identity: ModelIdentity) -> None:
        self.identity = identity
        self._session = session
        inputs = session.get_inputs()
        self._input_dtypes = []
        for node in inputs:
            if node.type not in _ONNX_INPUT_DTYPES:
                raise ValidationError(
                    f"the ONNX model {identity.s3_uri} takes {node.type} input {node.name!r}; this function feeds"
                    " float or double tensors (convert with FloatTensorType or DoubleTensorType)"
                )
            self._input_dtypes.append(_ONNX_INPUT_DTYPES[node.type])
        self._input_names = [node.name for node in inputs]
        metadata = session.get_modelmeta().custom_metadata_map
        named = _json_list(metadata.get(ONNX_FEATURE_NAMES_KEY))
        if len(inputs) > 1:
            self.feature_names = tuple(self._input_names)
            self.feature_count = len(inputs)
        else:
            width = inputs[0].shape[-1] if inputs[0].shape else None
            self.feature_count = width if isinstance(width, int) else (len(named) if named else None)
            self.feature_names = tuple(str(name) for name in named) if named else None
        outputs = session.get_outputs()
        self._output_names = [node.name for node in outputs]
        self.has_probabilities = len(outputs) >= 2
        self._zipmap = self.has_probabilities and outputs[1].type.startswith("seq(map")
        declared_classes = _json_list(metadata.get(ONNX_CLASSES_KEY))
        self._classes = tuple(declared_classes) if declared_classes else None

    def predict(self, features: np.ndarray, *, probabilities: bool) -> Prediction:
        if len(self._input_names) == 1:
            feeds = {self._input_names[0]: features.astype(self._input_dtypes[0], copy=False)}
        else:
            feeds = {
                name: features[:, [index]].astype(dtype, copy=False)
                for index, (name, dtype) in enumerate(zip(self._input_names, self._input_dtypes, strict=True))
            }
        wanted = self._output_names[:2] if probabilities else self._output_names[:1]
        results = self._session.run(wanted, feeds)
        labels = np.asarray(results[0])
        if labels.ndim == 2 and labels.shape[1] == 1:  # a regressor's [N, 1]
            labels = labels[:, 0]
        if not probabilities:
            return Prediction(labels=labels)
        if self._zipmap:
            rows = results[1]
            classes = tuple(rows[0].keys()) if rows else (self._classes or ())
            matrix = np.array([[row[label] for label in classes] for row in rows], dtype=np.float64)
        else:
            matrix = np.asarray(results[1], dtype=np.float64)
            classes = (
                self._classes
                if self._classes and len(self._classes) == matrix.shape[1]
                else tuple(range(matrix.shape[1]))
            )
        return Prediction(labels=labels, probabilities=matrix.reshape(len(labels), -1), classes=_plain_tuple(classes))


def load_model(path: Path, *, kind: str, identity: ModelIdentity, intra_op_threads: int) -> Model:
    """The model in `path`; ValidationError if the file is not a usable model of `kind`."""
    try:
        if kind == SKOPS:
            model: Model = SklearnModel(_load_skops(path, identity=identity), identity=identity)
        elif kind == PICKLE:
            import joblib

            model = SklearnModel(joblib.load(path), identity=identity)
        elif kind == ONNX:
            model = OnnxModel(_onnx_session(path, intra_op_threads=intra_op_threads), identity=identity)
        else:
            raise ValueError(f"unknown model kind {kind!r}")
    except (ValidationError, MemoryError):
        raise
    except Exception as error:  # every loader has its own exception types for a bad file
        raise ValidationError(
            f"model_s3_uri {identity.s3_uri} cannot be loaded as a {identity.format} model"
            f" ({type(error).__name__}: {str(error)[:200]}): is the file complete and of that format?"
        ) from None
    if isinstance(model, SklearnModel) and not callable(getattr(model.estimator, "predict", None)):
        raise ValidationError(
            f"model_s3_uri {identity.s3_uri} holds a {type(model.estimator).__name__}, which has no predict(): save the fitted model itself"
        )
    return model


def _load_skops(path: Path, *, identity: ModelIdentity) -> Any:
    import skops.io

    untrusted = skops.io.get_untrusted_types(file=path)
    if untrusted:
        raise ValidationError(
            f"model_s3_uri {identity.s3_uri} contains types skops does not trust by default: {', '.join(untrusted)}."
            " This function loads skops files with the default trusted types only; convert the model to ONNX"
            " (skl2onnx), or save one made of trusted types"
        )
    return skops.io.load(path)  # trusted=None: only skops' default-trusted types


def _onnx_session(path: Path, *, intra_op_threads: int) -> Any:
    import onnxruntime

    # (Sequential execution and every graph optimisation: onnxruntime's defaults too.)
    options = session_options(intra_op_threads=intra_op_threads)
    return onnxruntime.InferenceSession(path.read_bytes(), options, providers=["CPUExecutionProvider"])


def _json_list(text: str | None) -> list[Any] | None:
    if not text:
        return None
    try:
        value = loads(text, what="the model's metadata")
    except ValidationError:
        return None
    return value if isinstance(value, list) and value else None


def _plain_tuple(classes: tuple[Any, ...]) -> tuple[Any, ...]:
    """numpy scalars -> Python values, so class labels print as 1, not np.int64(1)."""
    return tuple(label.item() if isinstance(label, np.generic) else label for label in classes)
