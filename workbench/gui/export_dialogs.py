"""The window's network exports that need more than a file name: ONNX (an optional package) and
the PyTorch hand-over folder (a folder that may hold files already)."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog, QMessageBox


def onnx_installed(warn) -> bool:
    """Whether onnx can be imported; if not, ``warn(title, text)`` says what to install."""
    from workbench.exports import MissingPackage
    from workbench.exports.onnx_model import require_onnx

    try:
        require_onnx()
    except MissingPackage as exc:
        warn("ONNX export needs a package", str(exc))
        return False
    return True


def export_pytorch_folder(files) -> bool:
    """File → Export → PyTorch Hand-over Folder… for ``files`` (the window's FileActions): ask for a
    folder name and write the PyTorch hand-over there (with the training panel's settings and the
    training set's size for model.py's optimizer); a folder that is not empty is written into only
    after the user agrees."""
    from workbench.exports import ExportError, Training, export_network
    from workbench.exports.pytorch_handover import FILES

    exp = files.experiment
    if exp.net is None:
        return False
    # A folder to choose, not a name to type: a save dialog opens a folder typed into it instead of
    # taking it, so the folder of an earlier hand-over could not be chosen again.
    path = QFileDialog.getExistingDirectory(files.window, "Folder for the PyTorch hand-over (New Folder makes one)",
                                            files._dialog_dir())
    if not path:
        return False
    files._remember(os.path.join(path, FILES[0]))      # the next dialog starts here
    force = False
    if os.path.isdir(path) and os.listdir(path):
        answer = QMessageBox.question(
            files.window, "Folder not empty",
            f"{path} is not empty. Write the hand-over into it? Its {', '.join(FILES)} are replaced; "
            "other files stay.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        force = True
    ds = exp.dataset
    training = Training.from_settings(exp.hyperparameters, len(ds.train.X) if ds is not None else None)
    try:
        export_network(exp.net, "pytorch", path, force=force, training=training)
    except ExportError as exc:
        files.warn("Export failed", str(exc))
        return False
    except OSError as exc:
        files.warn("Export failed", f"Cannot write {path}: {exc}")
        return False
    files.window.statusBar().showMessage(f"Wrote the PyTorch hand-over to {path}", 5000)
    return True
