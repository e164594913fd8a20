"""The pure tax-lot engine: holding periods, realized lots and wash sales.

Nothing here imports Django, reads settings or the clock: dataclasses in, dataclasses out, money
as exact `Decimal`. The accounts app loads snapshots and transactions, calls these functions and
stores what they return (the wash-sale ledger and the overlay on the custodian's lots).

- `holding_period`: short or long term (IRS Publication 550, "Holding Period").
- `realized`: replays transactions over the lots open before them and returns realized lots.
- `wash_sales`: the wash-sale rules across a tax entity, the basis and holding-period overlay on
  the custodian's lots, and the windows the optimizer must respect.
"""
