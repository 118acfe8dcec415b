"""The custom metric names every function emits (namespace POWERTOOLS_METRICS_NAMESPACE,
dimension `service`). stacks/common/function_monitoring.py spells the same names for alarms
and dashboards (the stacks cannot import function code): change both together.
"""

# Every function
VALIDATION_ERRORS = "ValidationErrors"
INTERNAL_ERRORS = "InternalErrors"
HEALTH_CHECKS = "HealthChecks"
KEEP_WARM_PINGS = "KeepWarmPings"
# mask_predictor
NAMES_PREDICTED = "NamesPredicted"
# sentiment
TEXTS_CLASSIFIED = "TextsClassified"
# checkbox
IMAGES_PROCESSED = "ImagesProcessed"
PAGES_PROCESSED = "PagesProcessed"
DETECTIONS = "Detections"
UPLOADS_ISSUED = "UploadsIssued"
# batch_predict
ROWS_PREDICTED = "RowsPredicted"
JOBS_COMPLETED = "JobsCompleted"
JOBS_PLANNED = "JobsPlanned"
OUTPUT_BYTES = "OutputBytes"
MODEL_LOADS = "ModelLoads"
