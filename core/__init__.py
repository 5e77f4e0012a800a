"""Glyph Lab core: datasets, models, training and inference. Never imports Qt."""
