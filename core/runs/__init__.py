"""Run folders: the files a run writes, read back by the window, the CLI and a resume.

Nothing here imports the trainer: the recorder (:mod:`core.training.recorder`) writes these
files from the trainer's events, and anything can read them back without TensorFlow, except
:mod:`core.runs.model`, which loads a run's model.
"""
