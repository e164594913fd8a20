"""Loaders for the accounts room's feeds, registered with the feed framework at start-up."""

from dataops.feeds.registry import register_loader


def register() -> None:
    from accounts.loaders.accounts_feed import load_accounts
    from accounts.loaders.snapshots import load_cash, load_tax_lots
    from accounts.loaders.transactions import load_transactions

    register_loader("accounts", load_accounts)
    register_loader("tax_lots", load_tax_lots)
    register_loader("cash", load_cash)
    register_loader("transactions", load_transactions)
