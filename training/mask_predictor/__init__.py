"""Offline training of the mask predictor's CRF (never shipped: uses sklearn-crfsuite).

`python -m training.mask_predictor.train` (or `make train-mask`) reproduces the model in
functions/mask_predictor/model/ from data/masks.tsv.
"""
