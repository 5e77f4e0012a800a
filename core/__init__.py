"""Glyph Lab core: datasets, models, training and inference. Never imports Qt."""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notes) is noise for learners.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.threads import set_thread_defaults  # after the log level, before any TF

set_thread_defaults()
