"""The spike detector's parameters (`spikes.Params`), each with why it is so."""

from __future__ import annotations

from dataclasses import dataclass

# The daily false-alarm budget is shared equally by the residual, CUSUM and
# burst-rate tests and the three count tests (two volume windows, one share).
N_TESTS = 6


@dataclass(frozen=True)
class Params:
    # Negative-binomial dispersion k of the transform: Var = mu + k*mu^2.
    dispersion: float = 0.03
    level_halflife_minutes: float = 180.0
    # Half-lives of the profiles in days (hour bins) / weeks (day bins) of data.
    day_profile_halflife_days: float = 7.0
    week_profile_halflife_weeks: float = 3.0
    scale_halflife_minutes: float = 2880.0
    # Residuals beyond huber * scale update the baseline as if they were there.
    huber: float = 2.5
    # Scale never below this (1.0 = pure negative-binomial noise after the transform).
    min_scale: float = 1.0
    # Alarm thresholds adapt to each series' own tail (extreme-value theory,
    # peaks over threshold): runs of a statistic above its tail start are
    # clusters, their peak excesses have an exponential tail, and the threshold
    # is the level the series' own noise reaches about once per
    # false_alarm_minutes (per statistic). These are the floors.
    threshold: float = 6.0  # on the standardised residual of one bucket
    cusum_threshold: float = 20.0  # on the CUSUM of a rise over several buckets
    # The daily false-alarm budget of a stream ([spikes] false_alarms_per_day,
    # or the playbook's): each of the N_TESTS tests gets an equal share of it.
    false_alarms_per_day: float = 0.2
    tail_halflife_minutes: float = 14 * 1440.0
    tail_prior_minutes: float = 1440.0  # weight of the priors, in minutes of data
    tail_prior_per_day: float = 2.0  # prior cluster rate, both statistics
    tail_start: float = 3.5
    tail_prior_excess: float = 1.5
    cusum_tail_start: float = 6.0
    cusum_tail_prior_excess: float = 4.0
    # CUSUM tuned for a sustained shift of about 4 scale units (slack = half of
    # it); one bucket adds at most cap - slack, so a single outlier cannot page
    # through the CUSUM, and a storm at z >= 6 pages within about five buckets.
    cusum_slack: float = 2.0
    cusum_cap: float = 6.0
    # Burst-rate test: a Poisson CUSUM on how often runs of residuals above
    # burst_z start, against the series' own long-run rate of such runs. It
    # catches a storm made of repeated moderate outliers (a bot, a thread that
    # keeps resurfacing) that neither one bucket nor the level CUSUM shows.
    # It is the optimal (Page/Lorden) test for the rate jumping burst_ratio
    # times; each run adds log(burst_ratio), each minute without one takes
    # away (burst_ratio - 1) * the usual rate. Its threshold is the larger of
    # Wald's bound (log of the runs expected per false_alarm_minutes) and the
    # level its own past peaks reach once per false_alarm_minutes (the same
    # peaks-over-threshold rule as above: real surprise runs are themselves
    # clustered, so the Poisson bound alone is optimistic). The floor asks for
    # about five such runs in quick succession (5 * log 5 = 8).
    burst_z: float = 3.0
    burst_ratio: float = 5.0
    burst_threshold: float = 8.0
    # One page per spike: quiet for this long after an alarm, and until the
    # residual is back below rearm_z.
    refractory_minutes: float = 360.0
    rearm_z: float = 1.0
    # The residual tests need a learned scale, so they wait this long; the
    # count tests (surge.py) page from the first bucket.
    warmup_minutes: float = 180.0
    # Count-space tests (surge.py, where each rule is argued).
    normal_per_hour: float = 0.0  # the playbook's expectation; 0: not stated
    prior_minutes: float = 60.0  # that statement weighs as much as an hour of data
    # The workload floor: every alarm needs a crisis-sized rate, this many
    # posts an hour: seen in the last 60 minutes, or shown by the last 15 with
    # confidence storm_confidence (a one-sided lower bound; surge.py argues it).
    min_storm_posts: float = 20.0
    storm_confidence: float = 0.9
    surge_ratio: float = 5.0
    normal_negative_share: float = 0.2
    share_prior_posts: float = 20.0
    share_cap_posts: float = 200.0
    share_rise: float = 0.2
    min_negative_posts: float = 10.0
    escalate_factor: float = 10.0
    dispersion_prior_posts: float = 20.0

    @property
    def false_alarm_minutes(self) -> float:
        """Minutes between false alarms allowed to each single test."""
        return 1440.0 * N_TESTS / max(self.false_alarms_per_day, 1e-9)


def sensitivity(p: Params) -> str:
    """The detector's sensitivity in plain words, from the Params it runs with."""
    normal = (f"normal (stated: {p.normal_per_hour:g} an hour, then learned)" if p.normal_per_hour
              else "normal (learned from the stream)")
    budget = p.false_alarms_per_day
    if budget >= 1:
        expect = f"expect about {budget:.3g} false pages a day"
    else:
        expect = f"expect about one false page every {1 / budget:.3g} days"
    return (f"Pages when posts reach {p.surge_ratio:g}x {normal} and at least {p.min_storm_posts:g} in an"
            f" hour (or 15 minutes show that rate with {p.storm_confidence:.0%} confidence), or when the negative share rises {p.share_rise * 100:g} points (at least"
            f" {p.min_negative_posts:g} negative posts in an hour); {expect}.")
