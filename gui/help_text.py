"""Short "what am I looking at" texts for every panel (Help menu and tooltips)."""

from __future__ import annotations

PANEL_HELP: dict[str, tuple[str, str]] = {
    "controls": (
        "Controls",
        "Pick a dataset and one of the lesson's models (a preset), then press Start (Space). "
        "Learning rate, L2 lambda and dropout can be changed while the model trains: the change "
        "applies at the next step and is marked on the curves. 'Restrict training to n batches' "
        "makes the model see the same few images again and again - watch it overfit. 'Pace' "
        "slows training down so you can watch it learn (Ctrl+1 to Ctrl+5); Step (N) and Step x10 "
        "(Shift+N) run one or ten steps and pause.",
    ),
    "curves": (
        "Learning curves",
        "Loss (top) and accuracy (bottom) against the training step. 'Minibatch' is measured on "
        "the batch just trained on; 'validation' on images the model never trains on. When the "
        "two drift apart (shaded in restricted mode) the model memorises instead of learning. "
        "The grey curves are the previous run; the dashed lines mark knob changes.",
    ),
    "weights": (
        "Weights",
        "What the first layer looks for. Each tile is the weights from the 28x28 pixels to one "
        "unit: red = the pixel pushes the unit up, blue = pushes it down, white = ignored. For "
        "logistic regression there is one tile per class, and each slowly becomes a template of "
        "its letter or digit. 'Change' shows what the last step(s) did instead: press Step and "
        "see one SGD update.",
    ),
    "draw": (
        "Draw pad",
        "Draw a letter or digit with the mouse, a pen or a finger. The model's answer and its "
        "ten probabilities update as you draw; the small black image is what the model sees.",
    ),
    "samples": (
        "Dataset samples",
        "Random images from the training, validation and test splits with their labels, and the "
        "report of how the dataset was built (what was read, what was skipped and why).",
    ),
    "confusion": (
        "Confusion matrix",
        "Rows are the true classes, columns what the model answered; the diagonal is correct. "
        "Click a cell after the run to see the test images behind it.",
    ),
    "misclassified": (
        "Misclassified",
        "Test images the trained model got wrong, with its answer and the true label.",
    ),
    "log": (
        "Log",
        "The lesson-style log: minibatch loss and accuracy, validation accuracy and the final "
        "test accuracy, as printed in the original notebooks.",
    ),
    "drawings": (
        "My drawings",
        "Letters or digits you drew on the pad and kept (Keep as…), with the label you gave "
        "them: your own test set. After every run the log compares the model's test accuracy "
        "with its accuracy on your drawings; a model can do much worse on your handwriting "
        "than on its test split.",
    ),
}


def help_html() -> str:
    """All panel help texts as one small HTML page."""
    parts = [f"<h3>{title}</h3><p>{text}</p>" for title, text in PANEL_HELP.values()]
    return "".join(parts)


RUNS_HELP = (
    "Every run is saved as it trains. List past runs, open one to see its curves, "
    "weights and model, or resume an interrupted one from its last checkpoint."
)
