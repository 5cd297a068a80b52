"""The online volume-spike detector: counts in, decisions out.

Pure Python, no I/O. Each `update(ts, value)` uses only the values seen so
far and the current one, so the same code answers the live room (per-minute
mention counts) and `run.py spikes replay` (any `timestamp,value` series).

The model, in one paragraph:
- Counts are mapped through the variance-stabilising transform of a
  negative-binomial count (Anscombe 1948): about ``2*sqrt(x)`` for low counts
  (Poisson noise) and about ``log(x)/sqrt(k)`` for high ones (multiplicative
  noise), so one residual scale serves 2 mentions a minute and 2,000.
- The baseline in that space is level + time-of-day profile + day-of-week
  profile (additive Holt-Winters with exponentially weighted updates, bins
  interpolated linearly), learned from Huber-clipped residuals so a spike
  barely moves it. All rates are half-lives in time, not rows, so the same
  parameters fit 1-minute and 5-minute series and tolerate gaps.
- The residual is standardised by an exponentially weighted mean absolute
  deviation (robust scale). An alarm fires on a large standardised residual
  (sharp spike) or when a one-sided CUSUM of capped residuals crosses its
  threshold (a rise that builds over several buckets), or when a Poisson
  CUSUM on the rate of surprising runs (residual above ``burst_z``) says
  such surprises now come several times more often than this series'
  long-run rate (a storm made of repeated moderate bursts, e.g. a bot or a
  thread that keeps resurfacing, which no single bucket shows).
- All three thresholds adapt to the series' own tail (peaks over threshold, as in
  Siffer et al. 2017, "Anomaly detection in streams with extreme value
  theory"): runs above a tail start are declustered into one peak each, the
  peak excesses get an exponential tail, and the threshold is the level the
  series' ordinary bursts reach about once per ``false_alarm_minutes``. A
  bursty series (a big brand) thus needs a bigger surprise than a calm one.
- After an alarm the detector stays quiet until a refractory time has passed
  and the residual is back near normal: one page per spike.

Feed every bucket, zeros included (an empty minute is information); the
score is 0..1 with 0.5 at the alarm threshold.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime

STATE_VERSION = 2  # 2 added the burst-rate test; a version-1 state loads with it fresh
DAY_BINS = 24  # time-of-day profile: one bin per hour, interpolated
WEEK_BINS = 7  # day-of-week profile: one bin per day, interpolated
MAD_TO_SD = math.sqrt(math.pi / 2)  # mean absolute deviation -> sd for a normal


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
    false_alarm_minutes: float = 28 * 1440.0  # "once a month" per room
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
    warmup_minutes: float = 180.0


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


@dataclass(frozen=True)
class Decision:
    score: float  # 0..1; 0.5 is the alarm threshold
    alarm: bool
    expected: float  # the baseline count for this bucket
    value: float
    z: float = 0.0  # standardised residual
    cusum: float = 0.0
    threshold: float = 0.0  # the residual that alarms at this point of the series
    cusum_threshold: float = 0.0
    burst: float = 0.0  # burst-rate CUSUM (log-likelihood ratio)
    burst_threshold: float = 0.0


def _utc(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def _alpha(minutes: float, halflife: float) -> float:
    """Weight of a new observation covering `minutes` for a given half-life."""
    if minutes <= 0 or halflife <= 0:
        return 1.0 if halflife <= 0 else 0.0
    return 1.0 - 0.5 ** (minutes / halflife)


def _bins(position: float, n: int) -> tuple[int, int, float]:
    """Two neighbouring bin indices and the weight of the second (bin centres at i+0.5)."""
    p = position - 0.5
    lo = math.floor(p)
    w = p - lo
    return lo % n, (lo + 1) % n, w


class SpikeDetector:
    def __init__(self, params: Params | dict | None = None):
        if params is None:
            params = Params()
        elif isinstance(params, dict):
            unknown = set(params) - {f.name for f in fields(Params)}
            if unknown:
                raise ValueError(f"unknown spike detector parameters: {', '.join(sorted(unknown))}")
            params = replace(Params(), **{k: float(v) for k, v in params.items()})
        self.params: Params = params
        self.last_ts: datetime | None = None
        self.first_ts: datetime | None = None
        self.n = 0
        self.level = 0.0
        self.day = [0.0] * DAY_BINS
        self.week = [0.0] * WEEK_BINS
        self.mad = 1.0 / MAD_TO_SD
        self.cusum = 0.0
        self.last_alarm: datetime | None = None
        self.armed = True
        p = self.params
        self.z_tail = Tail(p.tail_start, p.tail_prior_per_day, p.tail_prior_excess, p.tail_prior_minutes)
        self.cusum_tail = Tail(
            p.cusum_tail_start, p.tail_prior_per_day, p.cusum_tail_prior_excess, p.tail_prior_minutes,
        )
        self._rate_cache: dict[float, tuple[float, float, float, float, float]] = {}
        self.burst = 0.0
        self.burst_above = False
        self.burst_minutes = p.tail_prior_minutes
        self.burst_events = p.tail_prior_per_day * p.tail_prior_minutes / 1440.0
        lr = math.log(p.burst_ratio)
        self.burst_tail = Tail(2 * lr, p.tail_prior_per_day, lr, p.tail_prior_minutes)

    # -- transform ----------------------------------------------------------
    def _g(self, x: float) -> float:
        k = self.params.dispersion
        return 2.0 / math.sqrt(k) * math.asinh(math.sqrt(k * (max(x, 0.0) + 0.375)))

    def _g_inv(self, y: float) -> float:
        k = self.params.dispersion
        return max(math.sinh(max(y, 0.0) * math.sqrt(k) / 2.0) ** 2 / k - 0.375, 0.0)

    # -- the update ---------------------------------------------------------
    def update(self, ts: datetime, value: float) -> Decision:
        p = self.params
        ts = _utc(ts)
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"value must be a finite count >= 0, got {value!r}")
        if self.last_ts is not None and ts <= self.last_ts:
            raise ValueError(f"timestamps must increase: {ts.isoformat()} after {self.last_ts.isoformat()}")
        minutes = (ts - self.last_ts).total_seconds() / 60.0 if self.last_ts else 0.0
        a_level, a_day, a_week, a_scale, keep = self._rates(minutes)
        y = self._g(value)

        tod = (ts.hour * 60 + ts.minute + ts.second / 60.0) / 60.0  # hours into the day
        d0, d1, dw = _bins(tod, DAY_BINS)
        dow = ts.weekday() + tod / 24.0
        w0, w1, ww = _bins(dow, WEEK_BINS)

        if self.n == 0:
            self.level = y
            self.first_ts = ts
        season = (1 - dw) * self.day[d0] + dw * self.day[d1] + (1 - ww) * self.week[w0] + ww * self.week[w1]
        pred = self.level + season
        scale = max(self.mad * MAD_TO_SD, p.min_scale)
        resid = y - pred
        z = resid / scale

        # Detection, on the state before this value is learned.
        if not self.armed and self.last_alarm is not None:
            since = (ts - self.last_alarm).total_seconds() / 60.0
            if since >= p.refractory_minutes and z < p.rearm_z:
                self.armed = True
        # The CUSUM only accumulates while armed: evidence from a storm already
        # paged must not re-page the moment the refractory time ends.
        if self.armed:
            self.cusum = max(0.0, self.cusum + min(z, p.cusum_cap) - p.cusum_slack)
        # Declustered: a run of surprising buckets is one event (real surprises
        # come in runs; counting buckets would break the independence the
        # threshold assumes, and a sustained rise is the level CUSUM's job).
        above = z > p.burst_z
        hit = 1.0 if above and not self.burst_above else 0.0
        self.burst_above = above
        if self.armed:
            rate = self.burst_events / self.burst_minutes  # usual runs per minute
            llr = hit * math.log(p.burst_ratio) - (p.burst_ratio - 1.0) * rate * minutes
            self.burst = max(0.0, self.burst + llr)
        burst_thr = self.burst_threshold()
        z_thr, cusum_thr = self.thresholds()
        stat = max(z / z_thr, self.cusum / cusum_thr, self.burst / burst_thr)
        burst_seen = self.burst
        cusum_seen = self.cusum
        warm = (ts - self.first_ts).total_seconds() / 60.0 >= p.warmup_minutes
        alarm = bool(warm and self.armed and stat >= 1.0)
        if alarm:
            self.armed = False
            self.last_alarm = ts
            self.cusum = 0.0
            self.burst = 0.0
        score = stat / (1.0 + stat) if stat > 0 else 0.0

        # Learning, robust to the spike itself.
        clipped = max(-p.huber * scale, min(p.huber * scale, resid))
        self.n += 1
        a_level = max(a_level, 1.0 / self.n)
        self.level += a_level * clipped
        after_level = clipped * (1 - a_level)
        # Keep the profiles centred so the level stays the overall mean: the
        # update adds a_day * after_level to the day profile in all, so its
        # mean moves by that over DAY_BINS (computed, not summed: this is the
        # hot loop).
        day_shift = a_day * after_level / DAY_BINS
        week_shift = a_week * after_level / WEEK_BINS
        self.day[d0] += a_day * (1 - dw) * after_level
        self.day[d1] += a_day * dw * after_level
        self.week[w0] += a_week * (1 - ww) * after_level
        self.week[w1] += a_week * ww * after_level
        if day_shift:
            self.day = [v - day_shift for v in self.day]
        if week_shift:
            self.week = [v - week_shift for v in self.week]
        self.level += day_shift + week_shift
        a_scale = max(a_scale, 1.0 / (self.n + 1))
        self.mad += a_scale * (min(abs(resid), p.huber * scale) - self.mad)
        self.z_tail.learn(minutes, z, keep)
        self.cusum_tail.learn(minutes, cusum_seen, keep)
        self.burst_tail.learn(minutes, burst_seen, keep)
        self.burst_minutes = self.burst_minutes * keep + minutes
        self.burst_events = self.burst_events * keep + hit
        self.last_ts = ts
        return Decision(
            score=score, alarm=alarm, expected=self._g_inv(pred), value=value,
            z=z, cusum=cusum_seen, threshold=z_thr, cusum_threshold=cusum_thr,
            burst=burst_seen, burst_threshold=burst_thr,
        )

    def _rates(self, minutes: float) -> tuple[float, float, float, float, float]:
        """Update weights for a step of `minutes` (level, day, week, scale, tail keep),
        cached: a series nearly always advances by the same step."""
        got = self._rate_cache.get(minutes)
        if got is None:
            p = self.params
            got = (
                _alpha(minutes, p.level_halflife_minutes),
                _alpha(minutes, p.day_profile_halflife_days * 60.0),
                _alpha(minutes, p.week_profile_halflife_weeks * 1440.0),
                _alpha(minutes, p.scale_halflife_minutes),
                0.5 ** (minutes / p.tail_halflife_minutes),
            )
            if len(self._rate_cache) > 64:
                self._rate_cache.clear()
            self._rate_cache[minutes] = got
        return got

    def burst_threshold(self) -> float:
        p = self.params
        expected = self.burst_events / self.burst_minutes * p.false_alarm_minutes
        wald = max(p.burst_threshold, math.log(max(expected, 1.0)))
        return max(wald, self.burst_tail.threshold(wald, p.false_alarm_minutes))

    def thresholds(self) -> tuple[float, float]:
        """(residual, CUSUM) that would alarm now, each crossed by noise about once per false_alarm_minutes."""
        p = self.params
        return (
            self.z_tail.threshold(p.threshold, p.false_alarm_minutes),
            self.cusum_tail.threshold(p.cusum_threshold, p.false_alarm_minutes),
        )

    # -- persistence --------------------------------------------------------
    def to_state(self) -> dict:
        return {
            "version": STATE_VERSION,
            "params": asdict(self.params),
            "last_ts": self.last_ts.isoformat() if self.last_ts else None,
            "first_ts": self.first_ts.isoformat() if self.first_ts else None,
            "n": self.n,
            "level": self.level,
            "day": list(self.day),
            "week": list(self.week),
            "mad": self.mad,
            "cusum": self.cusum,
            "last_alarm": self.last_alarm.isoformat() if self.last_alarm else None,
            "armed": self.armed,
            "z_tail": self.z_tail.to_list(),
            "cusum_tail": self.cusum_tail.to_list(),
            "burst": [self.burst, self.burst_above, self.burst_minutes, self.burst_events],
            "burst_tail": self.burst_tail.to_list(),
        }

    @classmethod
    def from_state(cls, state: dict) -> SpikeDetector:
        if state.get("version") not in (1, STATE_VERSION):
            raise ValueError(f"unknown spike detector state version {state.get('version')!r}")
        det = cls(state.get("params"))

        def ts(key):
            return datetime.fromisoformat(state[key]) if state.get(key) else None

        det.last_ts = ts("last_ts")
        det.first_ts = ts("first_ts")
        det.last_alarm = ts("last_alarm")
        det.n = int(state["n"])
        det.level = float(state["level"])
        det.day = [float(v) for v in state["day"]]
        det.week = [float(v) for v in state["week"]]
        det.mad = float(state["mad"])
        det.cusum = float(state["cusum"])
        det.armed = bool(state["armed"])
        det.z_tail.load(state["z_tail"])
        det.cusum_tail.load(state["cusum_tail"])
        if "burst" in state:
            b, above, det.burst_minutes, det.burst_events = state["burst"]
            det.burst, det.burst_above = float(b), bool(above)
            det.burst_tail.load(state["burst_tail"])
        return det
