"""The trainer: compiled steps, live knobs, events, checkpoints and run history."""
