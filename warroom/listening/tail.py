"""Exponentially weighted peaks-over-threshold tails: the adaptive thresholds of
`spikes` (Siffer et al. 2017, extreme-value theory on streams)."""

from __future__ import annotations

import math


class Tail:
    """Exponentially weighted peaks-over-threshold estimate of a statistic's upper tail."""

    def __init__(self, start: float, prior_per_day: float, prior_excess: float, prior_minutes: float):
        self.start = start
        self.minutes = prior_minutes
        self.clusters = prior_per_day * prior_minutes / 1440.0
        self.excess = self.clusters * prior_excess
        self.run_peak: float | None = None

    def threshold(self, floor: float, horizon_minutes: float) -> float:
        expected = self.clusters / self.minutes * horizon_minutes  # clusters in the horizon
        if expected <= 1.0 or self.clusters <= 0:
            return floor
        return max(floor, self.start + self.excess / self.clusters * math.log(expected))

    def learn(self, minutes: float, x: float, keep: float) -> None:
        """Add `minutes` of data whose statistic is x; older data weighs `keep` as much."""
        self.minutes = self.minutes * keep + minutes
        self.clusters *= keep
        self.excess *= keep
        if x > self.start:
            self.run_peak = x if self.run_peak is None else max(self.run_peak, x)
        elif self.run_peak is not None:
            # One cluster per run above start (declustering: a spike is one event).
            # Winsorised at 3 mean excesses (5% of an exponential tail) so one
            # huge storm does not blind the detector to the next one.
            mean = self.excess / self.clusters if self.clusters > 0 else self.run_peak - self.start
            self.clusters += 1.0
            self.excess += min(self.run_peak - self.start, 3.0 * mean)
            self.run_peak = None

    def to_list(self) -> list:
        return [self.minutes, self.clusters, self.excess, self.run_peak]

    def load(self, values: list) -> None:
        self.minutes, self.clusters, self.excess, self.run_peak = values
