"""Thin software-defined assets, one module per stage group; the work is done in `reelquant`."""
