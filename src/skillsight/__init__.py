"""skillsight: skill assessment from egocentric video and eye gaze.

Data flow: sources -> typed records (``data.records``) -> numpy gaze functions (``gaze``)
-> clip samples (``data.datasets``) -> registered models (``models``) -> tasks (``training``)
-> run folders -> evaluation, power, export, streaming and reports.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
