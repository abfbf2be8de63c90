"""Alibaba Cloud CAS (2020-04-07) + Alidns (2015-01-09) emulator for tests and demos.

See ``tests/emulator/README.md`` for behaviour, the control API and every choice made
where the API reference is unconfirmed.
"""

from .control_client import ControlRequestError, EmulatorControl
from .emulator import Emulator, running_emulator

__all__ = ["ControlRequestError", "Emulator", "EmulatorControl", "running_emulator"]
