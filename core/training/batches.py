"""Which training images each step uses: shuffled epochs, or a few fixed batches (overfit demo)."""

from __future__ import annotations

import numpy as np


class BatchSchedule:
    """Hands out (k, batch) index arrays for the next k steps.

    With ``restrict_batches = n > 0`` training cycles over the first ``n`` batches of the (shuffled)
    training set only, the lesson's overfitting demo; otherwise every epoch is a new permutation.
    """

    def __init__(self, train_size: int, batch_size: int, restrict_batches: int = 0,
                 seed: int = 0) -> None:
        self.train_size = train_size
        self.batch_size = batch_size
        self.restrict_batches = restrict_batches
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(train_size).astype(np.int32)
        self._pos = 0
        self._step = 0

    @property
    def distinct_images(self) -> int:
        """How many different training images the schedule ever uses."""
        if self.restrict_batches:
            return min(self.train_size, self.restrict_batches * self.batch_size)
        return self.train_size

    def next(self, k: int) -> np.ndarray:
        """Indices for the next ``k`` steps, shape (k, batch_size), int32."""
        out = np.empty((k, self.batch_size), dtype=np.int32)
        for i in range(k):
            if self.restrict_batches:
                b = self._step % self.restrict_batches
                out[i] = self._order[b * self.batch_size:(b + 1) * self.batch_size]
            else:
                if self._pos + self.batch_size > self.train_size:
                    self._order = self._rng.permutation(self.train_size).astype(np.int32)
                    self._pos = 0
                out[i] = self._order[self._pos:self._pos + self.batch_size]
                self._pos += self.batch_size
            self._step += 1
        return out
