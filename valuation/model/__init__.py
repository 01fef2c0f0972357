"""The model: settings, dimension scores, tiers and classes, lifecycle, CLV models, the pipeline."""
