"""Deployable models: signatures and input examples (:mod:`.signature`), predictors (:mod:`.predictor`)."""
