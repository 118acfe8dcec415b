"""Models by S3 URI: trust policy checked, downloaded to /tmp, loaded, cached while warm.

The cache is keyed by (URI, ETag) and holds at most MODEL_CACHE_SIZE models, least recently
used first out. Every request asks S3 for the object's current ETag (HeadObject, cheap), so a
replaced model is reloaded on the next request, never served stale; the old version is
dropped at once. The downloaded file is deleted once loaded: /tmp holds no model between
requests (the loaded object lives in memory).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from batch_predict.model_policy import model_kind, require_trusted_source
from batch_predict.models import Model, ModelIdentity, load_model
from batch_predict.s3_objects import head
from lambda_common.errors import ValidationError
from lambda_common.s3_download import S3DownloadError, download_file
from lambda_common.s3_uri import S3Location, S3Object

DOWNLOAD_DIR_NAME = "batch-predict-models"


class ModelStore:
    @classmethod
    def for_config(cls, config: Any, *, s3: Any) -> ModelStore:
        """The store the function's configuration (batch_predict.config.FunctionConfig) describes."""
        return cls(
            s3=s3,
            model_location=config.model_location,
            trusted_pickle_prefixes=config.trusted_pickle_prefixes,
            cache_size=config.model_cache_size,
            intra_op_threads=config.intra_op_threads,
        )

    def __init__(
        self,
        *,
        s3: Any,
        model_location: S3Location,
        trusted_pickle_prefixes: tuple[S3Location, ...],
        cache_size: int,
        intra_op_threads: int = 1,
        download_dir: Path | None = None,
    ) -> None:
        self._s3 = s3
        self._model_location = model_location
        self._trusted = trusted_pickle_prefixes
        self._cache_size = cache_size
        self._threads = intra_op_threads
        self._download_dir = download_dir or Path(tempfile.gettempdir()) / DOWNLOAD_DIR_NAME
        self._cache: OrderedDict[tuple[str, str], Model] = OrderedDict()
        self.downloads = 0
        self.hits = 0

    def get(self, obj: S3Object, *, field: str = "model_s3_uri") -> Model:
        """The model at `obj`: from the cache when its ETag is unchanged, else downloaded and loaded."""
        kind = model_kind(obj, field=field)
        require_trusted_source(
            obj, kind=kind, model_location=self._model_location, trusted_pickle_prefixes=self._trusted, field=field
        )
        info = head(self._s3, obj, field=field)
        key = (obj.uri, info.etag)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.hits += 1
            return cached
        identity = ModelIdentity(s3_uri=obj.uri, etag=info.etag, format=_format_name(obj))
        model = self._download_and_load(obj, kind=kind, identity=identity, field=field)
        for stale in [entry for entry in self._cache if entry[0] == obj.uri]:
            del self._cache[stale]
        self._cache[key] = model
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return model

    def cached(self) -> list[ModelIdentity]:
        """The cached models, least recently used first."""
        return [model.identity for model in self._cache.values()]

    def _download_and_load(self, obj: S3Object, *, kind: str, identity: ModelIdentity, field: str) -> Model:
        self._download_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(f"{identity.s3_uri}\0{identity.etag}".encode()).hexdigest()[:24]
        # The process id: Lambda runs one request per environment, but processes sharing one /tmp
        # (make serve's workers, parallel make invoke runs) must not delete each other's file.
        path = self._download_dir / f"{digest}-{os.getpid()}-{obj.name[-100:]}"
        try:
            download_file(self._s3, bucket=obj.bucket, key=obj.key, destination=path)
        except S3DownloadError as error:
            if error.not_found:
                raise ValidationError(f"{field} {obj.uri} does not exist: check the bucket and key") from None
            raise
        self.downloads += 1
        try:
            return load_model(path, kind=kind, identity=identity, intra_op_threads=self._threads)
        finally:
            path.unlink(missing_ok=True)


def _format_name(obj: S3Object) -> str:
    name = obj.name.lower()
    for extension, label in ((".skops", "skops"), (".onnx", "onnx"), (".joblib", "joblib")):
        if name.endswith(extension):
            return label
    return "pickle"
