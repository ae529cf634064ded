"""The window's views, in the order of the View menu.  Adding a view: one file in this folder with
a ``View`` subclass (see ``base.py``), and one line in ``VIEWS``."""

from workbench.gui.views.curves import CurvesView
from workbench.gui.views.diagram import DiagramView
from workbench.gui.views.distributions import DistributionsView
from workbench.gui.views.first_layer import FirstLayerView
from workbench.gui.views.followed import FollowedWeightsView
from workbench.gui.views.gradient_bars import GradientBarsView
from workbench.gui.views.output_map import OutputMapView
from workbench.gui.views.predictions import PredictionsView

VIEWS = [
    CurvesView,
    OutputMapView,
    PredictionsView,
    FirstLayerView,
    GradientBarsView,
    DistributionsView,
    FollowedWeightsView,
    DiagramView,
]


def view_names() -> list[str]:
    return [view.name for view in VIEWS]
