"""Loaders for the reference and market data feeds."""

from dataops.feeds.registry import register_loader


def register() -> None:
    from dataops.loaders.corporate_actions import load_corporate_actions
    from dataops.loaders.market import (
        load_prices,
        load_risk_covariance,
        load_risk_exposures,
        load_risk_specific,
    )
    from dataops.loaders.restrictions import load_restrictions
    from dataops.loaders.securities import load_securities

    register_loader("securities", load_securities)
    register_loader("prices", load_prices)
    register_loader("risk_exposures", load_risk_exposures)
    register_loader("risk_covariance", load_risk_covariance)
    register_loader("risk_specific", load_risk_specific)
    register_loader("restrictions", load_restrictions)
    register_loader("corporate_actions", load_corporate_actions)
