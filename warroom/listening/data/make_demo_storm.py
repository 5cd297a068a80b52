"""Generate warroom/listening/data/demo_storm.ndjson: a SYNTHETIC activist swarm.

Every record is invented (source "synthetic-demo", fictional brand
"Crunchbar" by "Snackworks", made-up handles, example.invalid links). The
shape follows the public account of the 2010 palm-oil swarm on a chocolate
brand's Facebook page: a quiet baseline, a sharp rise within minutes, angry
posts and posts that bait a defensive answer, then a slow decay.

    python warroom/listening/data/make_demo_storm.py   # rewrites the file (seeded: same output)
"""

from __future__ import annotations

import json
import math
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # run as a script from anywhere
from warroom.listening.storms import poisson  # noqa: E402

SEED = 20100317
START = datetime(2025, 3, 17, 6, 0, tzinfo=UTC)
BASELINE_MIN = 240  # the detector needs a few hours of normal before it judges
RISE_MIN = 12
PLATEAU_MIN = 30
DECAY_MIN = 60

QUIET = [
    "Where can I buy the new {product} in {place}?",
    "Just had a {product} with my coffee, perfect break",
    "Is the {product} still gluten free?",
    "My kids love the {product}, thanks @Snackworks",
    "Any chance of bringing back the {product} multipack?",
    "The {product} wrapper changed colour, same recipe?",
    "Got a dented {product} box from {place}, who do I contact?",
    "Snackworks ad on TV again, catchy tune",
]
ANGRY = [
    "Shame on you @Snackworks, your {product} is built on burnt rainforest #SaveTheCanopy",
    "Boycott {product} until Snackworks stops buying palm oil from cleared forest",
    "Every {product} costs an orangutan its home. Disgusting. #SaveTheCanopy",
    "I will never buy a {product} again. Palm oil from deforestation, really?",
    "@Snackworks how many hectares of rainforest went into this year's {product}?",
    "Deleting comments will not make the deforestation go away @Snackworks",
    "Watched the orangutan video. Done with Snackworks. Boycott.",
    "Your palm oil supplier is clearing peat forest. Answer the question @Snackworks",
    "Shame on Snackworks. Greenwashing while the canopy burns. #SaveTheCanopy",
    "Changed my profile picture to the {product} logo remix, come at me",
]
BAIT = [
    "Go on @Snackworks, tell us it is not your responsibility what your suppliers do",
    "Will you delete this comment too? Censorship is not a palm oil policy",
    "Are you going to threaten us about using your logo again? #SaveTheCanopy",
    "Bet Snackworks replies 'please see our statement'. Cowards.",
    "Is the person running this page paid to insult customers? Asking for a friend",
    "Say sorry or say nothing @Snackworks, we can all see the edits",
]
DEFENDERS = [
    "People calm down, it is a chocolate bar",
    "Snackworks did sign the sustainable palm oil pledge last year, read it",
    "Still buying {product}, sorry not sorry",
]
PRODUCTS = ["Crunchbar", "Crunchbar Minis", "Crunchbar Orange", "Crunchbar 4-finger"]
PLACES = ["Leeds", "Utrecht", "Cork", "Zurich", "Porto", "Ghent", "Malmo", "Lyon"]
SYL = ["ka", "lo", "mi", "ne", "ro", "ta", "vi", "zu", "be", "do", "fa", "gi", "ju", "ra", "so", "te"]


def rate(minute: int) -> float:
    """Expected mentions per minute."""
    if minute < BASELINE_MIN:
        hour = minute / 60
        return 2.0 + 1.0 * math.sin(hour / 4 * math.pi)  # a gentle morning rhythm
    t = minute - BASELINE_MIN
    if t < RISE_MIN:
        return 3 + 62 * (t + 1) / RISE_MIN
    t -= RISE_MIN
    if t < PLATEAU_MIN:
        return 65 - 15 * t / PLATEAU_MIN
    t -= PLATEAU_MIN
    return max(4.0, 50 * math.exp(-t / 18))

def handle(rng: random.Random) -> str:
    return "".join(rng.choice(SYL) for _ in range(rng.randint(2, 4))) + str(rng.randint(1, 999))


def text_for(rng: random.Random, minute: int) -> str:
    if minute < BASELINE_MIN:
        pool = QUIET if rng.random() < 0.96 else ANGRY
    else:
        r = rng.random()
        pool = ANGRY if r < 0.66 else BAIT if r < 0.86 else DEFENDERS if r < 0.93 else QUIET
    return rng.choice(pool).format(product=rng.choice(PRODUCTS), place=rng.choice(PLACES))


def records():
    rng = random.Random(SEED)
    n = 0
    for minute in range(BASELINE_MIN + RISE_MIN + PLATEAU_MIN + DECAY_MIN):
        count = poisson(rng, rate(minute))
        for second in sorted(rng.uniform(0, 60) for _ in range(count)):
            n += 1
            ts = START + timedelta(minutes=minute, seconds=second)
            yield {
                "external_id": f"demo-{n:06d}",
                "source": "synthetic-demo",
                "author": handle(rng),
                "text": text_for(rng, minute),
                "url": f"https://example.invalid/demo/{n}",
                "created_at": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
                "lang": "en",
                "followers": int(rng.lognormvariate(5, 1.5)),
            }


def main() -> None:
    out = Path(__file__).with_name("demo_storm.ndjson")
    rows = list(records())
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("# SYNTHETIC demo storm for `run.py drill activist-swarm`: invented posts about a\n")
        fh.write("# fictional brand, generated by warroom/listening/data/make_demo_storm.py. Not real data.\n")
        for rec in rows:
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
    print(f"{out}: {len(rows)} mentions")


if __name__ == "__main__":
    main()
