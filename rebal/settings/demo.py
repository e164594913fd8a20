"""The one-command demo: production-like serving on 127.0.0.1, second factor off."""

from rebal.settings.base import *  # noqa: F403

DEBUG = False
REBAL_REQUIRE_TOTP = False
