"""Count-space onset tests of the spike detector: volume surges and sentiment swings.

Pure Python, no I/O; `spikes.SpikeDetector` owns one `Onset` and feeds it every
bucket. The tests here work on raw counts in short windows, so they are right
at counts near zero and need no warm-up (the residual tests in `spikes` need
a learned scale and wait for it).

Rules (each holds for any brand because it is stated in the brand's own terms:
its rate, its share, its false-alarm budget):

- Volume surge. For each window W in (15, 60) minutes, S = posts in the last W
  minutes. The brand's normal rate has a gamma posterior, discounted with a
  day's half-life: the prior is the playbook's stated `normal_per_hour` worth
  `prior_minutes` of data (without one: half a post per `prior_minutes`,
  "quiet until shown otherwise", so the floor alone decides), and every bucket
  adds its count (winsorised at `surge_ratio` x the rate) and its minutes, so
  the learned rate takes over as history grows. Posts come in clusters, so a
  window's count has variance phi x its mean (phi learned from the series'
  own windows). The predictive count of a window is then negative-binomial
  with mean m*a/b and variance phi*m + (k + 1/a)*m^2: clustering, the rate's
  overdispersion (k = `dispersion`) and how little is known of the rate yet
  (1/a, large at cold start). It pages when all three hold: P(X >= S) <= alpha
  (significant: not noise), S >= `surge_ratio` x the expected count (material:
  a storm, not a busy hour), and the workload floor below holds, whichever
  window is tested. alpha is the window's share of the daily budget, budget / n_tests x
  W / 1440 (a union bound over the day's disjoint windows; overlapping ones
  make one page by the rule below), raised where the series' own -log p has
  a heavier tail than the model (peaks over threshold, as the residual tests).
- Workload floor (every alarm of every kind, the residual tests' too): the
  stream must run at a crisis-sized rate, `min_storm_posts` posts an hour
  (default 20; the issue's own example of a storm for a quiet brand is "20 to
  30 posts an hour"). It is stated as work, not as a multiple of the brand's
  rate, so it is the same for every brand: a big brand's bar is set by the
  ratio and the significance, a small brand's by this floor. It holds when
  EITHER the last 60 minutes hold `min_storm_posts` posts (the hour has been
  seen) OR the last 15 minutes show, with confidence `storm_confidence`
  (0.9), that the hour is running at that rate: the one-sided lower
  confidence bound of the rate behind the 15-minute count S, projected to an
  hour, is at least `min_storm_posts`. Posts come in clusters, so S is
  quasi-Poisson: S/phi is Poisson with mean mu/phi (phi the 15-minute
  window's learned clustering, 1 at cold start), and the bound is Garwood's
  exact Poisson bound on that scale: mu_L >= mu0 iff P(X >= S/phi | mu0/phi)
  <= 1 - confidence, with mu0 = min_storm_posts x min(15, minutes seen)/60.
  Poisson alone needs 9 posts in 15 minutes (P(X >= 9 | 5) = 0.07; 8 gives
  0.13), phi = 2 needs 11. Why this holds for any brand: it is one
  statement, "this quarter-hour proves an hour of crisis-sized work is
  under way", at a stated confidence, about the same work floor, and the
  brand's own clustering widens it (a thread of replies is a cluster, not
  a storm); a sudden storm no longer waits until 20 posts have arrived,
  while a 7- or 8-post conversation in 15 minutes (Poisson-plausible at a
  rate below 20 an hour) still does not page.
- Sentiment swing. In the 60-minute window, y of the n posts are negative. The
  brand's normal share has a beta posterior: prior `normal_negative_share`
  worth `share_prior_posts` posts, plus the buckets that have left the window
  (the swing itself never feeds its own baseline), discounted with a
  half-life of a day and capped at `share_cap_posts` posts (the share drifts
  from hour to hour). y is beta-binomial under it; it pages when P(Y >= y) <=
  alpha, y/n >= baseline + `share_rise`, and y >= `min_negative_posts`, once
  the baseline has learned from at least `share_prior_posts` posts (a swing
  is a change: a room opened on an angry crowd has no calm share to leave).
- One page per storm. After any alarm every test is disarmed. It re-arms when
  the refractory time has passed and the storm is over by every test (the
  hour is no longer `surge_ratio` x normal, the share is back within half of
  `share_rise`, the residual is below `rearm_z`). While disarmed, only a
  larger storm pages again: a 15-minute count of `escalate_factor` x the one
  that paged (an order of magnitude: the storm changed size class); that
  count becomes the new reference.
"""

from __future__ import annotations

import math
from collections import deque

from .tail import Tail

WINDOWS = (15.0, 60.0)  # minutes: a sudden storm, and a slow rise at near-zero counts
SHARE_WINDOW = 60.0
TAIL_START = -math.log(0.01)


def nb_tail(x: float, mean: float, shape: float) -> float:
    """P(X >= x) for a negative binomial with this mean and shape (Poisson as shape -> inf)."""
    x = math.ceil(x)
    if x <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    q = mean / (mean + shape)  # success probability of the gamma-Poisson mixture
    # log pmf at x, then sum upward: past the mode each term shrinks by
    # q*(j+shape)/(j+1) < 1, so the tail converges geometrically.
    log_term = (math.lgamma(x + shape) - math.lgamma(shape) - math.lgamma(x + 1)
                + shape * math.log1p(-q) + x * math.log(q))
    term, total, j = 1.0, 1.0, x
    while term > 1e-12 * total and j < x + 100000:
        term *= q * (j + shape) / (j + 1)
        total += term
        j += 1
    return min(1.0, math.exp(log_term) * total)


def gamma_p(a: float, x: float) -> float:
    """Regularised lower incomplete gamma P(a, x); for integer a it is P(X >= a)
    for X ~ Poisson(x), and it interpolates that tail for a real a (Garwood)."""
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:  # series, converges fast below the mode
        term = total = 1.0 / a
        n = a
        while term > 1e-14 * total:
            n += 1.0
            term *= x / n
            total += term
        return min(1.0, math.exp(log_front) * total)
    # continued fraction for the upper part Q (modified Lentz)
    b, c, d = x + 1.0 - a, 1e300, 1.0 / (x + 1.0 - a)
    h, i = d, 0
    while True:
        i += 1
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = b + an / c
        c = c if abs(c) > 1e-300 else 1e-300
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14 or i > 10000:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)


def betabinom_tail(y: int, n: int, a: float, b: float) -> float:
    """P(Y >= y) for Y ~ beta-binomial(n, a, b)."""
    if y <= 0:
        return 1.0
    if y > n:
        return 0.0
    log_term = (math.lgamma(n + 1) - math.lgamma(y + 1) - math.lgamma(n - y + 1)
                + math.lgamma(y + a) + math.lgamma(n - y + b) - math.lgamma(n + a + b)
                + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b))
    term, total = 1.0, 1.0
    for j in range(y, n):
        term *= (n - j) / (j + 1) * (j + a) / (n - j - 1 + b)
        total += term
        if term < 1e-12 * total:
            break
    return min(1.0, math.exp(log_term) * total)


class Onset:
    """Windows of recent buckets and the sentiment baseline; see the module docstring."""

    def __init__(self, p):
        self.p = p
        self.win = [deque() for _ in WINDOWS]  # (minute stamp, count, negative)
        self.sums = [[0.0, 0] for _ in WINDOWS]  # posts, negatives
        self.history = 0.0  # minutes of data seen before the current bucket
        # Beta posterior of the negative share, as pseudo-counts.
        self.neg = p.normal_negative_share * p.share_prior_posts
        self.pos = (1.0 - p.normal_negative_share) * p.share_prior_posts
        self.paged = 0.0  # 15-minute count that paged (0: armed for a new storm)
        self.share_seen = 0.0  # posts the share baseline has learned from
        a0 = p.normal_per_hour / 60.0 * p.prior_minutes if p.normal_per_hour > 0 else 0.5
        self.rate = [a0, p.prior_minutes]
        # -log p of each window, its tail learned like the residual tests': under a
        # right model -log p is Exp(1), so the prior (one run a day past p = 0.01,
        # mean excess 1) reproduces the model's alpha; a brand whose material
        # bursts come more often than the model says raises its own bar.
        self.tails = [Tail(TAIL_START, 1.0, 1.0, p.tail_prior_minutes) for _ in WINDOWS]
        self.seen = [0.0 for _ in WINDOWS]
        # Clustering of posts, per window: sum of (S - m)^2 and of m (see learn_dispersion).
        self.disp = [[p.dispersion_prior_posts, p.dispersion_prior_posts] for _ in WINDOWS]

    # -- windows --------------------------------------------------------------
    def push(self, t: float, count: float, negative: int | None, keep_day: float) -> None:
        for i, w in enumerate(WINDOWS):
            q, s = self.win[i], self.sums[i]
            q.append((t, count, negative or 0))
            s[0] += count
            s[1] += negative or 0
            while q and q[0][0] <= t - w:
                _, c, n = q.popleft()
                s[0] -= c
                s[1] -= n
                if w == SHARE_WINDOW and negative is not None:
                    self._learn_share(c, n)
        if keep_day < 1.0:
            self.neg *= keep_day
            self.pos *= keep_day

    def _learn_share(self, count: float, negative: int) -> None:
        cap = self.p.share_cap_posts
        self.share_seen += count
        self.neg += negative
        self.pos += max(count - negative, 0.0)
        total = self.neg + self.pos
        if total > cap:
            self.neg *= cap / total
            self.pos *= cap / total

    # -- the tests ------------------------------------------------------------
    def rate_posterior(self) -> tuple[float, float]:
        """(shape a, rate b per minute) of the normal rate's gamma posterior."""
        return self.rate

    def learn_rate(self, count: float, minutes: float, keep: float) -> None:
        """Discounted Bayes: old evidence (the prior included) weighs `keep` as
        much per step, so the learned rate takes over as history grows. A
        bucket counts at most `surge_ratio` x the rate (winsorised, like the
        Huber clip of `spikes`): a storm lifts the baseline slowly, and its
        aftermath becomes the new normal within a day or so."""
        a, b = self.rate
        count = min(count, max(self.p.surge_ratio * minutes * a / b, 1.0))
        self.rate = [a * keep + count, b * keep + minutes]

    def learn_tails(self, minutes: float, keep: float) -> None:
        for tail, x in zip(self.tails, self.seen, strict=True):
            tail.learn(minutes, x, keep)

    def phi(self, i: int) -> float:
        num, den = self.disp[i]
        return max(1.0, num / den)

    def learn_dispersion(self, covered: float, keep: float) -> None:
        """Posts come in clusters (a conversation, a retweet chain), so a window's
        count has variance phi x its mean, phi = E[c^2]/E[c] of the cluster sizes.
        Estimated as sum (S - m)^2 / sum m over this series' own windows while no
        storm is paged (a ratio of sums: stable at means near zero), each term
        winsorised at 3 sd (the rise before a page must not hide itself)."""
        a, b = self.rate_posterior()
        for i, w in enumerate(WINDOWS):
            mean = min(w, covered) * a / b
            d = self.disp[i]
            cap = 9.0 * self.phi(i) * (mean + 1.0)
            d[0] = d[0] * keep + min((self.sums[i][0] - mean) ** 2, cap)
            d[1] = d[1] * keep + mean

    def volume(self, budget: float, step: float, covered: float):
        """(window minutes, posts, expected, p-value, alpha) of the most
        significant window passing the ratio and its alpha, or None (the caller
        checks the workload floor first: `storm_sized`)."""
        p = self.p
        a, b = self.rate_posterior()
        best = None
        self.seen = [0.0 for _ in WINDOWS]
        for i, w in enumerate(WINDOWS):
            s = self.sums[i][0]
            mean = min(w, covered) * a / b
            # NB matching variance phi*m + (k + 1/a)*m^2: clustering, the rate's
            # overdispersion, and how little is known of the rate yet.
            shape = 1.0 / ((self.phi(i) - 1.0) / max(mean, 1e-9) + p.dispersion + 1.0 / a)
            if s < p.surge_ratio * mean:
                continue  # cheap gate first: the tail is computed only for candidates
            pv = nb_tail(s, mean, shape)
            self.seen[i] = -math.log(max(pv, 1e-300))
            bar = self.tails[i].threshold(-math.log(budget * max(w, step) / 1440.0), p.false_alarm_minutes)
            alpha = math.exp(-bar)
            if pv <= alpha and (best is None or pv / alpha < best[3] / best[4]):
                best = (w, s, mean, pv, alpha)
        return best

    def share(self) -> float:
        return self.neg / (self.neg + self.pos)

    def sentiment(self, budget: float, step: float):
        """(negatives, posts, baseline share, p-value, alpha) if the hour's share swung, or None."""
        alpha = budget * max(SHARE_WINDOW, step) / 1440.0
        p = self.p
        i = WINDOWS.index(SHARE_WINDOW)
        n, y = int(round(self.sums[i][0])), self.sums[i][1]
        base = self.share()
        # A swing is a change: until the baseline has seen as many posts as its
        # prior is worth, there is no normal share to swing from.
        if self.share_seen < p.share_prior_posts or n == 0 or y < p.min_negative_posts or y / n < base + p.share_rise:
            return None
        pv = betabinom_tail(y, n, self.neg, self.pos)
        return (y, n, base, pv, alpha) if pv <= alpha else None

    def storm_over(self, covered: float) -> bool:
        p = self.p
        a, b = self.rate_posterior()
        i = WINDOWS.index(SHARE_WINDOW)
        s, y = self.sums[i]
        if s >= p.surge_ratio * min(SHARE_WINDOW, covered) * a / b and s >= p.min_storm_posts:
            return False
        return not (s and y >= p.min_negative_posts and y / s >= self.share() + p.share_rise / 2)

    def window15(self) -> float:
        return self.sums[0][0]

    def hour(self) -> float:
        """Posts in the last 60 minutes."""
        return self.sums[1][0]

    def storm_sized(self, covered: float) -> bool:
        """The workload floor (module docstring): the hour holds `min_storm_posts`
        posts, or the 15-minute count's lower confidence bound of the hourly
        rate (quasi-Poisson, the learned clustering phi) reaches it."""
        p = self.p
        if self.hour() >= p.min_storm_posts:
            return True
        s = self.sums[0][0]
        target = p.min_storm_posts * min(WINDOWS[0], covered) / 60.0  # posts the floor's rate gives
        if s <= target:
            return False  # the point estimate is below the floor: so is its lower bound
        phi = self.phi(0)
        return gamma_p(s / phi, target / phi) <= 1.0 - p.storm_confidence

    # -- persistence ------------------------------------------------------------
    def to_list(self) -> list:
        return [[list(map(list, q)) for q in self.win], self.sums, self.history,
                self.neg, self.pos, self.paged, self.disp, self.rate, [t.to_list() for t in self.tails],
                self.share_seen]

    def load(self, values: list) -> None:
        (wins, sums, self.history, self.neg, self.pos, self.paged, self.disp, self.rate, tails,
         self.share_seen) = values
        for tail, v in zip(self.tails, tails, strict=True):
            tail.load(v)
        self.win = [deque(tuple(x) for x in q) for q in wins]
        self.sums = [list(s) for s in sums]
