"""The window's views, in the order of the View menu.  Adding a view: one file in this folder with
a ``View`` subclass (see ``base.py``), and one line in ``VIEWS``."""

from workbench.gui.views.curves import CurvesView
from workbench.gui.views.diagram import DiagramView
from workbench.gui.views.distributions import DistributionsView
from workbench.gui.views.first_layer import FirstLayerView
from workbench.gui.views.followed import FollowedWeightsView
from workbench.gui.views.gradient_bars import GradientBarsView
from workbench.gui.views.gradient_check import GradientCheckView
from workbench.gui.views.input_gradients import InputGradientsView
from workbench.gui.views.lab_notes import LabNotesView
from workbench.gui.views.output_map import OutputMapView
from workbench.gui.views.predictions import PredictionsView
from workbench.gui.views.runs import RunsView
from workbench.gui.views.universality import UniversalityView
from workbench.gui.views.worked_step import WorkedStepView

VIEWS = [
    CurvesView,
    OutputMapView,
    PredictionsView,
    FirstLayerView,
    InputGradientsView,
    GradientBarsView,
    GradientCheckView,
    DistributionsView,
    FollowedWeightsView,
    UniversalityView,
    WorkedStepView,
    DiagramView,
    LabNotesView,
    RunsView,
]


def view_names() -> list[str]:
    return [view.name for view in VIEWS]
