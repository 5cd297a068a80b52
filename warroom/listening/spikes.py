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
  (sharp spike), when a one-sided CUSUM of capped residuals crosses its
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
- These residual tests need a learned scale, so they wait `warmup_minutes`.
  The count-space tests of `surge.py` (a volume surge on 15- and 60-minute
  windows, a sentiment swing at any volume) page from the second bucket,
  against the playbook's stated expectations at first; every alarm of every
  kind needs the workload floor (a rate of `min_storm_posts` posts an hour,
  seen in the last hour or shown with confidence by the last 15 minutes). The budget `false_alarms_per_day` is shared by
  all six tests (N_TESTS). Decisions name their kind and why.
- After an alarm the detector stays quiet until a refractory time has passed
  and the storm is over by every test: one page per storm; only a storm an
  order of magnitude larger pages again while it lasts (surge.py).

Feed every bucket, zeros included (an empty minute is information); the
score is 0..1 with 0.5 at the alarm threshold.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime

from .params import N_TESTS, Params, sensitivity
from .surge import Onset
from .tail import Tail

__all__ = ["Decision", "N_TESTS", "Params", "SpikeDetector", "sensitivity"]

# 2 added the burst-rate test, 3 the count-space tests (older states load with
# them fresh), 4 made min_storm_posts an hour's posts (it was 15 minutes': x4).
STATE_VERSION = 4
DAY_BINS = 24  # time-of-day profile: one bin per hour, interpolated
WEEK_BINS = 7  # day-of-week profile: one bin per day, interpolated
MAD_TO_SD = math.sqrt(math.pi / 2)  # mean absolute deviation -> sd for a normal


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
    kind: str = ""  # on an alarm: "volume" or "sentiment"
    why: str = ""  # on an alarm: the rule that fired, in words with its numbers
    p_value: float = 1.0  # of the count test that fired (1.0: a residual test)


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
        self._rate_cache: dict[float, tuple[float, ...]] = {}
        self.burst = 0.0
        self.burst_above = False
        self.burst_minutes = p.tail_prior_minutes
        self.burst_events = p.tail_prior_per_day * p.tail_prior_minutes / 1440.0
        lr = math.log(p.burst_ratio)
        self.burst_tail = Tail(2 * lr, p.tail_prior_per_day, lr, p.tail_prior_minutes)
        self.onset = Onset(p)
        self.step = 1.0  # minutes per bucket, as last seen

    @staticmethod
    def _residual_why(z, z_thr, cusum, cusum_thr, burst, burst_thr) -> str:
        if z >= z_thr:
            return f"one bucket {z:.1f} sd above its baseline (pages at {z_thr:.1f})"
        if cusum >= cusum_thr:
            return f"a rise over several buckets: CUSUM {cusum:.1f} (pages at {cusum_thr:.1f})"
        return f"repeated bursts: burst-rate CUSUM {burst:.1f} (pages at {burst_thr:.1f})"

    # -- transform ----------------------------------------------------------
    def _g(self, x: float) -> float:
        k = self.params.dispersion
        return 2.0 / math.sqrt(k) * math.asinh(math.sqrt(k * (max(x, 0.0) + 0.375)))

    def _g_inv(self, y: float) -> float:
        k = self.params.dispersion
        return max(math.sinh(max(y, 0.0) * math.sqrt(k) / 2.0) ** 2 / k - 0.375, 0.0)

    # -- the update ---------------------------------------------------------
    def update(self, ts: datetime, value: float, negative: int | None = None) -> Decision:
        """Decide one bucket of ``value`` posts (``negative`` of them negative, if known)."""
        p = self.params
        ts = _utc(ts)
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"value must be a finite count >= 0, got {value!r}")
        if self.last_ts is not None and ts <= self.last_ts:
            raise ValueError(f"timestamps must increase: {ts.isoformat()} after {self.last_ts.isoformat()}")
        minutes = (ts - self.last_ts).total_seconds() / 60.0 if self.last_ts else 0.0
        if negative is not None and not 0 <= negative <= value:
            raise ValueError(f"negative must be a count between 0 and the value, got {negative!r}")
        a_level, a_day, a_week, a_scale, keep, keep_share, keep_disp = self._rates(minutes)
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
        step = minutes or self.step  # the first bucket: as long as the last known one
        self.step = step
        onset = self.onset
        onset.push(ts.timestamp() / 60.0, value, negative, keep_share)
        covered = onset.history + step
        if not self.armed and self.last_alarm is not None:
            since = (ts - self.last_alarm).total_seconds() / 60.0
            if since >= p.refractory_minutes and z < p.rearm_z and onset.storm_over(covered):
                self.armed = True
                onset.paged = 0.0
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
        # Every kind needs a crisis-sized rate (surge.py's workload floor).
        w15 = onset.window15()
        big = onset.storm_sized(covered)
        # Each test's share of the daily budget; windows overlap, and one page
        # per storm makes a run of overlapping significant windows one page, so
        # the union bound is over the day's disjoint windows (surge.py).
        budget = p.false_alarms_per_day / N_TESTS
        kind = why = ""
        p_value = 1.0
        if self.armed and self.n and big:  # a bucket's length is known from the second one
            surge = onset.volume(budget, step, covered)
            if surge is not None:
                w, posts, mean, p_value, alpha = surge
                kind = "volume"
                why = (f"{posts:.0f} posts in {w:.0f} min, {posts / max(mean, 1e-9):.1f}x the {mean:.2f}"
                       f" expected (p={p_value:.1e}, pages at p<={alpha:.1e})")
            elif warm and stat >= 1.0:
                kind = "volume"
                why = self._residual_why(z, z_thr, cusum_seen, cusum_thr, burst_seen, burst_thr)
            elif (swing := onset.sentiment(budget, step)) is not None:
                neg, posts, base, p_value, alpha = swing
                kind = "sentiment"
                why = (f"{neg} of {posts} posts in 60 min negative ({neg / posts:.0%}; normal"
                       f" {base:.0%}; p={p_value:.1e}, pages at p<={alpha:.1e})")
            if kind and p_value < 1.0:
                stat = max(stat, 1.0, math.log(max(p_value, 1e-300)) / math.log(alpha))
        elif onset.paged and w15 >= p.escalate_factor * onset.paged:
            kind = "volume"
            why = (f"a larger surge: {w15:.0f} posts in 15 min, {w15 / onset.paged:.0f}x the"
                   f" {onset.paged:.0f} that paged this storm")
        alarm = bool(kind)
        if alarm:
            self.armed = False
            self.last_alarm = ts
            self.cusum = 0.0
            self.burst = 0.0
            onset.paged = max(w15, p.min_storm_posts / 4.0)  # the floor's share of 15 minutes
        if self.armed:  # a paged storm must not teach the detector that storms are normal
            onset.learn_dispersion(covered, keep_disp)
        onset.learn_rate(value, step, keep_share)
        onset.learn_tails(minutes, keep)
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
        onset.history += step
        return Decision(
            score=score, alarm=alarm, expected=self._g_inv(pred), value=value,
            z=z, cusum=cusum_seen, threshold=z_thr, cusum_threshold=cusum_thr,
            burst=burst_seen, burst_threshold=burst_thr, kind=kind, why=why, p_value=p_value,
        )

    def _rates(self, minutes: float) -> tuple[float, ...]:
        """Update weights for a step of `minutes` (level, day, week, scale, tail keep, share keep),
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
                0.5 ** (minutes / 1440.0),  # the negative share's baseline: a day's half-life
                0.5 ** (minutes / (7 * 1440.0)),  # clustering of posts: a week's
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
            "onset": self.onset.to_list(),
            "step": self.step,
        }

    @classmethod
    def from_state(cls, state: dict) -> SpikeDetector:
        if state.get("version") not in (1, 2, 3, STATE_VERSION):
            raise ValueError(f"unknown spike detector state version {state.get('version')!r}")
        params = dict(state.get("params") or {})
        if state["version"] == 3 and "min_storm_posts" in params:
            params["min_storm_posts"] = 4.0 * float(params["min_storm_posts"])
        old_horizon = params.pop("false_alarm_minutes", None)  # versions 1-2: one horizon per test
        if old_horizon:
            params.setdefault("false_alarms_per_day", 1440.0 * N_TESTS / old_horizon)
        det = cls(params)

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
        if "onset" in state:
            det.onset.load(state["onset"])
            det.step = float(state["step"])
        elif det.first_ts and det.last_ts:
            det.onset.history = (det.last_ts - det.first_ts).total_seconds() / 60.0
        return det
