"""How urgent a mention is, and why: the queue's order, in ONE pure function.

The API's mention listing returns ``urgency`` and ``urgency_reasons`` from
``urgency()``; the board re-sorts every few seconds as mentions wait, so it
runs an exact mirror of this function (``static/urgency.js``), which a test
runs under Node against this one on the same inputs. Change both or neither.

The score adds three parts, each on the scale of the response clock:

- waiting: minutes since the mention arrived over the room's first-response
  minutes (1.0 when its clock runs out), so the longest waiting comes first;
- negative: +0.5 for a negative post, i.e. a complaint counts as if it had
  waited half a clock longer;
- reach: +0.1 per decade of followers (log10(1 + followers)): 1,000
  followers +0.3, 100,000 +0.5, 10 million +0.7. Logarithmic, because reach
  is lopsided on every platform and for every brand: a linear weight would
  let one celebrity bury every ordinary complaint, none would ignore reach.

An answered mention sinks below every open one (-1e9, older ids lower).

The reasons say which parts lifted a mention, strongest first, each with its
weight: ``negative``, ``reach`` (from ``REACH_REASON`` followers), ``waiting``
(from half a clock) and ``breaching`` (its clock ran out) instead of waiting.
"""

from __future__ import annotations

import math
from datetime import datetime

from ..clock import parse_iso

NEGATIVE = 0.5
REACH_PER_DECADE = 0.1
REACH_REASON = 1000     # followers from which reach is named as a reason
WAITING_REASON = 0.5    # share of the clock from which waiting is named
ANSWERED = -1e9


def urgency(*, mention_id: int, received_at: str, sentiment_label: str, followers: int | None,
            answered: bool, first_response_minutes: float, now: datetime) -> tuple[float, list[dict]]:
    """(score, reasons) for one mention at ``now``; see the module docstring."""
    if answered:
        return ANSWERED + mention_id, [{"code": "answered", "weight": 0.0}]
    limit = first_response_minutes or 60
    waited = (now - parse_iso(received_at)).total_seconds() / 60
    waiting = waited / limit
    score = waiting
    reasons = []
    if sentiment_label == "negative":
        score += NEGATIVE
        reasons.append({"code": "negative", "weight": NEGATIVE})
    fans = followers or 0
    reach = math.log10(fans + 1) * REACH_PER_DECADE
    score += reach
    if fans >= REACH_REASON:
        reasons.append({"code": "reach", "weight": reach, "followers": fans})
    if waiting >= 1:
        reasons.append({"code": "breaching", "weight": waiting, "minutes": waited})
    elif waiting >= WAITING_REASON:
        reasons.append({"code": "waiting", "weight": waiting, "minutes": waited})
    reasons.sort(key=lambda r: -r["weight"])
    return score, reasons
