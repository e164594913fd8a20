"""Corporate actions applied to the firm's data: the handler registry every room plugs into,
the security master's own handler, and the checks that hold accounts while feeds disagree."""
