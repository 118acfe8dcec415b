"""Mask component predictor: labels each token of a respirator product name (CRF tagger).

What ships to Lambda is exactly this package, the shared lambda_common package and python-crfsuite; the model comes from a
separate directory (a layer in Lambda) named by the MODEL_DIR environment variable.
Handler: ``mask_predictor.handler.lambda_handler``.
"""
