"""One preset per lesson experiment, with the figure the lesson reports (no TensorFlow import)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of a model, independent of TensorFlow.

    Attributes
    ----------
    family:
        ``"logreg"``, ``"mlp"`` or ``"cnn"``.
    hidden:
        MLP hidden layer sizes, or the CNN's dense layer sizes after the convolutions.
    activation:
        ``"relu"`` or ``"sigmoid"`` for hidden layers.
    convs:
        CNN layers as ``(kernel, depth, stride)``.
    pool:
        CNN: follow each convolution with 2x2 max-pooling (stride 2).
    batch_norm:
        Batch normalization after every layer but the last.
    init:
        ``"default"`` (Glorot / He) or ``"lesson"`` (truncated normal, stddev 1 for dense layers as
        in the Udacity notebook, 0.1 for convolutions).
    """

    family: str
    hidden: tuple[int, ...] = ()
    activation: str = "relu"
    convs: tuple[tuple[int, int, int], ...] = ()
    pool: bool = False
    batch_norm: bool = False
    init: str = "default"

    def live_knobs(self) -> tuple[str, ...]:
        """The live knobs a model of this spec uses, in the order the trainer lists them.

        Learning rate and L2 act on every model. Dropout acts only where the model has dropout
        layers: :func:`core.models.build.build_model` puts one after each hidden dense layer,
        and logistic regression has none.

        Returns
        -------
        tuple of str
            A subset of ``("learning_rate", "l2", "dropout")``.
        """
        if self.family != "logreg" and self.hidden:
            return ("learning_rate", "l2", "dropout")
        return ("learning_rate", "l2")


@dataclass(frozen=True)
class Preset:
    """A lesson experiment: model, optimizer, knobs, data restriction and the lesson's figure."""

    name: str
    title: str
    lesson_figure: str
    dataset: str
    model: ModelSpec
    optimizer: str
    learning_rate: float
    batch_size: int
    steps: int
    l2: float = 0.0
    dropout: float = 0.0
    restrict_batches: int = 0
    decay_rate: float = 1.0
    decay_steps: int = 0
    description: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def family(self) -> str:
        """Model family: ``"logreg"``, ``"mlp"`` or ``"cnn"``."""
        return self.model.family


LOGREG = ModelSpec("logreg")
NN1024 = ModelSpec("mlp", hidden=(1024,))
DEEP = ModelSpec("mlp", hidden=(1024, 300, 50))
CNN_STRIDE = ModelSpec("cnn", hidden=(64,), convs=((5, 16, 2), (5, 16, 2)))
CNN_POOL = ModelSpec("cnn", hidden=(64,), convs=((5, 16, 1), (5, 16, 1)), pool=True)
CNN3_POOL = ModelSpec("cnn", hidden=(64,), convs=((5, 16, 1), (5, 32, 1), (5, 64, 1)), pool=True)
MNIST_CNN = ModelSpec("cnn", hidden=(200,), convs=((3, 12, 1), (6, 24, 2), (6, 32, 2)))
MNIST_CNN_BN = ModelSpec(
    "cnn", hidden=(200,), convs=((3, 12, 1), (6, 24, 2), (6, 32, 2)), batch_norm=True
)

_PRESET_LIST = [
    Preset(
        "logreg-sgd",
        "Logistic regression, SGD",
        "-",
        "fonts-letters",
        LOGREG,
        "sgd",
        0.5,
        128,
        3001,
        description="Softmax regression: one weight image per letter. Watch each tile "
        "become a blurry template of its letter.",
    ),
    Preset(
        "logreg-l2",
        "Logistic regression + L2",
        "test 88.3%",
        "fonts-letters",
        LOGREG,
        "sgd",
        0.5,
        128,
        3001,
        l2=0.005,
        description="L2 adds lambda * sum(W^2)/2 to the loss: weights stay small and smooth.",
    ),
    Preset(
        "nn1024",
        "1024-unit ReLU net",
        "-",
        "fonts-letters",
        NN1024,
        "sgd",
        0.5,
        128,
        3001,
        description="One hidden layer of 1024 rectified linear units between pixels and letters.",
    ),
    Preset(
        "nn1024-l2",
        "1024-unit ReLU net + L2",
        "test 91.1% (90.8% in another run)",
        "fonts-letters",
        NN1024,
        "sgd",
        0.5,
        128,
        3001,
        l2=0.005,
        description="The hidden net with L2 on both weight matrices: better than logistic "
        "regression.",
    ),
    Preset(
        "overfit",
        "Overfitting: 5 batches only",
        "train 100%, valid falls",
        "fonts-letters",
        NN1024,
        "sgd",
        0.5,
        128,
        3001,
        l2=0.005,
        restrict_batches=5,
        description="Training cycles over the same 5 batches: minibatch accuracy reaches 100% "
        "while validation accuracy stalls - the net memorises.",
    ),
    Preset(
        "overfit-dropout",
        "Overfitting + dropout 0.4",
        "valid/test rise vs overfit",
        "fonts-letters",
        NN1024,
        "sgd",
        0.5,
        128,
        3001,
        l2=0.005,
        dropout=0.4,
        restrict_batches=5,
        description="Dropout silences 40% of hidden units at random each step, so the net "
        "cannot memorise with any single unit: validation improves.",
    ),
    Preset(
        "deep-decay",
        "Deep net + dropout + lr decay",
        "best reported 97.1%",
        "fonts-letters",
        DEEP,
        "sgd",
        0.5,
        128,
        9001,
        l2=0.0001,
        dropout=0.2,
        decay_rate=0.9,
        decay_steps=1000,
        description="1024-300-50 ReLU with dropout; the learning rate decays x0.9 every 1000 "
        "steps so late steps fine-tune instead of jumping.",
    ),
    Preset(
        "cnn-stride",
        "CNN, stride-2 convolutions",
        "test ~89%",
        "fonts-letters",
        CNN_STRIDE,
        "sgd",
        0.05,
        16,
        1001,
        description="Two 5x5 convolutions of depth 16 with stride 2, then a 64-unit layer: "
        "filters see local strokes.",
    ),
    Preset(
        "cnn-pool",
        "CNN, max-pooling",
        "~1.3 points over cnn-stride",
        "fonts-letters",
        CNN_POOL,
        "sgd",
        0.05,
        16,
        1001,
        description="Stride-1 convolutions each followed by 2x2 max-pooling instead of striding.",
    ),
    Preset(
        "cnn3-pool",
        "CNN, 3 conv + pool layers",
        "test ~95%",
        "fonts-letters",
        CNN3_POOL,
        "sgd",
        0.05,
        16,
        10001,
        description="Three convolution + max-pool stages, then a 64-unit layer.",
    ),
    Preset(
        "mnist-softmax",
        "MNIST: one softmax layer",
        "~92%",
        "mnist",
        LOGREG,
        "sgd",
        0.5,
        100,
        2001,
        description="Martin Goerner's first model: 10 weight images, one per digit.",
    ),
    Preset(
        "mnist-sigmoid5",
        "MNIST: 5 sigmoid layers",
        "~93%",
        "mnist",
        ModelSpec("mlp", hidden=(200, 100, 60, 30), activation="sigmoid"),
        "sgd",
        0.5,
        100,
        5001,
        description="Sigmoids saturate: deep sigmoid nets learn slowly.",
    ),
    Preset(
        "mnist-relu-adam",
        "MNIST: ReLU + Adam",
        "~97%",
        "mnist",
        ModelSpec("mlp", hidden=(200, 60)),
        "adam",
        0.003,
        100,
        5001,
        description="ReLU units and the Adam optimizer train much faster than sigmoid + SGD.",
    ),
    Preset(
        "mnist-decay",
        "MNIST: ReLU + Adam + lr decay",
        "~98%",
        "mnist",
        ModelSpec("mlp", hidden=(200, 100, 60, 30)),
        "adam",
        0.01,
        100,
        10001,
        decay_rate=0.6,
        decay_steps=500,
        description="Start fast (lr 0.01) and decay x0.6 per epoch: the noisy accuracy curve "
        "settles.",
    ),
    Preset(
        "mnist-cnn",
        "MNIST: 3-layer CNN",
        "~99%",
        "mnist",
        MNIST_CNN,
        "adam",
        0.003,
        100,
        10001,
        decay_rate=0.6,
        decay_steps=500,
        description="Convolutions 3x3x12, 6x6x24 stride 2, 6x6x32 stride 2, dense 200.",
    ),
    Preset(
        "mnist-cnn-dropout",
        "MNIST: CNN + dropout",
        ">99%",
        "mnist",
        MNIST_CNN,
        "adam",
        0.003,
        100,
        10001,
        dropout=0.25,
        decay_rate=0.6,
        decay_steps=500,
        description="Dropout 0.25 on the dense layer closes the gap between train and test.",
    ),
    Preset(
        "mnist-cnn-bn",
        "MNIST: CNN + batch norm",
        "99.5%",
        "mnist",
        MNIST_CNN_BN,
        "adam",
        0.01,
        64,
        10001,
        dropout=0.3,
        decay_rate=0.6,
        decay_steps=800,
        description="Batch normalization on every layer but the last lets a high learning "
        "rate train stably.",
    ),
]

PRESETS: dict[str, Preset] = {p.name: p for p in _PRESET_LIST}


def get_preset(name: str) -> Preset:
    """Return the preset called ``name``; KeyError lists the known names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}") from None
