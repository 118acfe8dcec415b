"""Batch predictor: scikit-learn / ONNX models from S3 over S3 data, streamed.

Handler: ``batch_predict.handler.lambda_handler`` (thin). The job itself is
``batch_predict.predict.run_job(request, *, s3, models, config) -> JobResult``, callable
directly (benchmarks) against any S3 endpoint. One concern per module:

config         environment variables, validated once at cold start
locations      URIs checked against the configured model/data/results locations (pure)
formats        CSV / JSON Lines / Parquet (optionally gzip) chosen by extension (pure)
requests       events -> typed requests (pure)
events         which kind of event arrived
s3_objects     HeadObject / ListObjectsV2 / GetObject (streams, ranged, seekable)
readers        streaming readers -> record batches
features       feature columns -> float64 matrix, bad values named by column and row
models         loaded models behind one interface (scikit-learn, ONNX)
model_policy   which model file kinds may come from where (trust policy, pure)
model_store    download to /tmp, load, cache by (URI, ETag)
writers        record batches -> CSV / JSON Lines / Parquet bytes
multipart      the output: a multipart upload that completes or aborts
predict        the job loop (run_job)
step_functions plan_job and Distributed Map batches
s3_trigger     S3 notifications
errors         InternalError, and what a pipeline sees of a failure
"""
