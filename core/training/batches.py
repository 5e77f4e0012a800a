"""Which training images each step uses, and how many steps go into one compiled call.

Shuffled epochs, or a few fixed batches for the overfit demo; calls of about 50 ms.
"""

from __future__ import annotations

import json

import numpy as np


class BatchSchedule:
    """Hands out (k, batch) index arrays for the next k steps.

    With ``restrict_batches = n > 0`` training cycles over the first ``n`` batches of the (shuffled)
    training set only, the lesson's overfitting demo; otherwise every epoch is a new permutation.
    """

    def __init__(
        self, train_size: int, batch_size: int, restrict_batches: int = 0, seed: int = 0
    ) -> None:
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

    def state(self) -> dict[str, np.ndarray]:
        """The schedule's position as plain arrays (for a checkpoint); see :meth:`restore`."""
        return {
            "schedule_order": self._order.copy(),
            "schedule_pos": np.array(self._pos, np.int64),
            "schedule_step": np.array(self._step, np.int64),
            "rng_state": np.array(json.dumps(self._rng.bit_generator.state)),
        }

    def restore(self, state: dict[str, np.ndarray]) -> None:
        """Continue from a :meth:`state` of a schedule over the same training set.

        Raises
        ------
        ValueError
            The state belongs to a training set of another size, or is malformed.
        """
        order = np.asarray(state["schedule_order"])
        if order.ndim != 1 or len(order) != self.train_size:
            raise ValueError(
                f"the run was trained on {len(order)} images but the dataset has {self.train_size}"
            )
        rng_state = json.loads(str(state["rng_state"]))
        pos, step = int(state["schedule_pos"]), int(state["schedule_step"])
        if not (0 <= pos <= self.train_size and step >= 0):
            raise ValueError(f"batch position {pos} / step {step} out of range")
        self._rng.bit_generator.state = rng_state
        self._order = order.astype(np.int32)
        self._pos, self._step = pos, step

    def next(self, k: int) -> np.ndarray:
        """Indices for the next ``k`` steps, shape (k, batch_size), int32."""
        out = np.empty((k, self.batch_size), dtype=np.int32)
        for i in range(k):
            if self.restrict_batches:
                b = self._step % self.restrict_batches
                out[i] = self._order[b * self.batch_size : (b + 1) * self.batch_size]
            else:
                if self._pos + self.batch_size > self.train_size:
                    self._order = self._rng.permutation(self.train_size).astype(np.int32)
                    self._pos = 0
                out[i] = self._order[self._pos : self._pos + self.batch_size]
                self._pos += self.batch_size
            self._step += 1
        return out


class ChunkSizer:
    """How many steps the next compiled call runs: about ``seconds`` of work, at most ``cap``.

    A call has a fixed cost (Python dispatch, starting the graph, waking the threads, a slower
    first step), so a fast model (nn1024, a few ms a step) wants many steps per call; Stop,
    Pause and the knobs act between calls, so a slow one (a CNN, tens of ms a step) wants few.
    The first two calls run one step (the first also traces, so its time says nothing); after
    that the target size follows the last call's time per step, growing at most twofold per
    call. ``seconds = 0`` always gives ``cap``.

    The caller says how many steps remain before it must stop (an evaluation, a snapshot, the
    end of the run); once the ramp is over, those are split evenly into as few calls as fit,
    each at most a quarter over the target: 50 steps at a target of 16 become 17, 17, 16
    (three calls), not 16, 16, 16, 2 (four). A call cut short by such a boundary does not
    restart the ramp.
    """

    def __init__(self, cap: int, seconds: float) -> None:
        self.cap = max(1, int(cap))
        self.seconds = float(seconds)
        self._per_step: float | None = None
        self._traced = False  # the first call traces: its time says nothing
        self._target = 1

    def _next_target(self) -> int:
        """The call size the time budget asks for, before any boundary cuts it."""
        if self.seconds <= 0:
            return self.cap
        if self._per_step is None:
            return 1
        fit = self.seconds / self._per_step if self._per_step > 0 else float(self.cap)
        return max(1, int(min(self.cap, 2 * self._target, fit)))

    def next(self, limit: int | None = None) -> int:
        """Steps for the next call, at most ``limit`` (the steps left before a boundary)."""
        last, target = self._target, self._next_target()
        self._target = target
        if limit is None:
            return target
        if limit <= target or target == 2 * last:  # still ramping: the next call is larger
            return max(1, min(target, limit))
        longest = min(self.cap, max(target, target * 5 // 4))
        calls = -(-limit // longest)
        return -(-limit // calls)

    def took(self, steps: int, seconds: float) -> None:
        """Record that a call of ``steps`` steps took ``seconds``."""
        if self._traced and steps > 0:
            self._per_step = max(seconds, 0.0) / steps
        self._traced = True
