"""The IVR: a FastAGI server that runs callers through flows from config and hands
routing decisions back to the dialplan."""

from ivr.config import IvrConfig, IvrConfigError, build_config
from ivr.server import IvrServer, build
from ivr.services import IvrServices

__all__ = ["IvrConfig", "IvrConfigError", "IvrServer", "IvrServices", "build", "build_config"]
