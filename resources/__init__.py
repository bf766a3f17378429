"""Dagster resources: typed, configurable wrappers around the external systems the assets use."""

from resources.market import BacktesterResource, MarketDataResource
from resources.media import MediaStoreResource
from resources.search import EmbedderResource, LanceDBResource
from resources.speech import TranscriberResource

__all__ = [
    "BacktesterResource",
    "EmbedderResource",
    "LanceDBResource",
    "MarketDataResource",
    "MediaStoreResource",
    "TranscriberResource",
]
