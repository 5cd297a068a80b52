"""The demo storms a drill replays when it is given no file: each playbook
names its own (``demo_storm`` in its front matter, one of
``playbooks.DEMO_STORMS``), so an airline room rehearses stranded
passengers, not a palm-oil campaign.

Every storm is SYNTHETIC (invented posts about fictional brands, made-up
handles, ``example.invalid`` links, source ``synthetic-demo``) and nothing
is downloaded. ``activist`` is the shipped file ``data/demo_storm.ndjson``
(written by ``data/make_demo_storm.py``); ``airline`` and ``recall`` are
generated here from a fixed seed, so a storm is the same on every machine.
Each has the shape the spike detector needs to be rehearsed against: a few
quiet hours, a rise within minutes, a plateau and a slow decay.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import mentions, replay

DATA = Path(__file__).with_name("data")
DEFAULT = "activist"   # a playbook that names no storm (one written before the key existed)


@dataclass(frozen=True)
class Storm:
    name: str
    description: str
    file: Path | None = None                 # a shipped dataset, or else:
    seed: int = 0                            # the generator's seed
    start: datetime | None = None
    quiet: tuple[str, ...] = ()
    angry: tuple[str, ...] = ()
    asking: tuple[str, ...] = ()
    words: tuple[tuple[str, tuple[str, ...]], ...] = ()   # {placeholder} -> choices

    def label(self) -> str:
        """What a drill room says it replays."""
        return self.file.name if self.file else f"synthetic {self.name} storm (seed {self.seed})"


STORMS: dict[str, Storm] = {
    "activist": Storm("activist", "a palm-oil campaign floods a snack brand's pages",
                      file=DATA / "demo_storm.ndjson"),
    "airline": Storm(
        "airline", "an ash cloud grounds an airline's flights; stranded passengers ask what now",
        seed=20100415, start=datetime(2025, 4, 15, 5, 0, tzinfo=UTC),
        quiet=("Lovely crew on {flight} to {place} this morning, thanks @SkyLark",
               "Can I add a bag to my {place} booking after check-in?",
               "Is the {place} lounge open early on Sundays?",
               "Window seat on {flight}, perfect view of the Alps"),
        angry=("{flight} cancelled and nobody at the desk in {place}. Stranded with two kids @SkyLark",
               "Third hour on hold. Are you rebooking anyone or not @SkyLark? #ashcloud",
               "Stuck at {place} airport, no hotel, no food voucher, no answer. Disgraceful",
               "You cancelled {flight} by text and the rebooking link is broken @SkyLark",
               "Refund or rebook? Your site says both and neither works #ashcloud"),
        asking=("Is {flight} tomorrow going ahead? Nothing on your site @SkyLark",
                "Can I rebook {flight} online or do I have to queue in {place}?",
                "Do you pay for the hotel if {flight} is cancelled because of the ash?",
                "My mum is stuck in {place}, who can she talk to? @SkyLark"),
        words=(("flight", ("SL201", "SL348", "SL415", "SL502", "SL77")),
               ("place", ("Schiphol", "Oslo", "Dublin", "Lisbon", "Prague", "Madrid")))),
    "recall": Storm(
        "recall", "a carmaker recalls a model over sticking pedals; owners ask if theirs is affected",
        seed=20100121, start=datetime(2025, 1, 21, 6, 0, tzinfo=UTC),
        quiet=("Picked up my new {model} today, love the colour",
               "Anyone know the service interval on a {year} {model}?",
               "The {model} hybrid does great on the motorway",
               "Dealer in {place} was friendly and quick, thanks @Veloxa"),
        angry=("My {year} {model} pedal stuck on the ring road. I have two kids in that car @Veloxa",
               "You knew about the pedals and sold me a {model} anyway? Unsafe. #VeloxaRecall",
               "Dealer in {place} has no parts and no date. Am I supposed to keep driving it?",
               "A recall letter that says 'do not worry' is not an answer @Veloxa",
               "Never buying Veloxa again. Safety first, my foot. #VeloxaRecall"),
        asking=("Is my {year} {model} affected by the recall? Where do I check @Veloxa",
                "Should I stop driving my {model} until the fix? Nobody at {place} knows",
                "How long does the pedal fix take at the dealer?",
                "Will you pay for a rental while my {model} is in for the recall?"),
        words=(("model", ("Arca", "Arca Hybrid", "Lumen", "Strata")),
               ("year", ("2021", "2022", "2023", "2024")),
               ("place", ("Leeds", "Utrecht", "Cork", "Ghent", "Porto", "Lyon")))),
}

BASELINE_MIN, RISE_MIN, PLATEAU_MIN, DECAY_MIN = 240, 12, 30, 60
SYL = ("ka", "lo", "mi", "ne", "ro", "ta", "vi", "zu", "be", "do", "fa", "gi", "ju", "ra", "so", "te")


def rate(minute: int) -> float:
    """Expected posts per minute: a gentle morning, a rise within minutes, then decay."""
    if minute < BASELINE_MIN:
        return 2.0 + math.sin(minute / 240 * math.pi)
    t = minute - BASELINE_MIN
    if t < RISE_MIN:
        return 3 + 57 * (t + 1) / RISE_MIN
    t -= RISE_MIN
    if t < PLATEAU_MIN:
        return 60 - 15 * t / PLATEAU_MIN
    return max(4.0, 45 * math.exp(-(t - PLATEAU_MIN) / 18))


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method, split for larger rates); the demo storm file's generator uses it too."""
    total = 0
    while lam > 30:
        total += poisson(rng, 30)
        lam -= 30
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return total + k
        k += 1


def records(storm: Storm):
    """The generated storm's raw records (dicts as a file would hold them), in time order."""
    rng = random.Random(storm.seed)
    words = dict(storm.words)
    n = 0
    for minute in range(BASELINE_MIN + RISE_MIN + PLATEAU_MIN + DECAY_MIN):
        for second in sorted(rng.uniform(0, 60) for _ in range(poisson(rng, rate(minute)))):
            n += 1
            if minute < BASELINE_MIN:
                pool = storm.quiet if rng.random() < 0.95 else storm.asking
            else:
                r = rng.random()
                pool = storm.angry if r < 0.6 else storm.asking if r < 0.92 else storm.quiet
            ts = storm.start + timedelta(minutes=minute, seconds=second)
            yield {
                "external_id": f"{storm.name}-{n:06d}",
                "source": "synthetic-demo",
                "author": "".join(rng.choice(SYL) for _ in range(rng.randint(2, 4))) + str(rng.randint(1, 999)),
                "text": rng.choice(pool).format(**{k: rng.choice(v) for k, v in words.items()}),
                "url": f"https://example.invalid/{storm.name}/{n}",
                "created_at": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
                "lang": "en",
                "followers": int(rng.lognormvariate(5, 1.5)),
            }


def storm_for(playbook) -> Storm:
    """The storm a drill of ``playbook`` replays (its ``demo_storm``, else the default)."""
    return STORMS[getattr(playbook, "demo_storm", None) or DEFAULT]


def load(storm: Storm, now: datetime, limits: mentions.Limits | None = None) -> list[mentions.NewMention]:
    """The storm's mentions, validated as a replayed file's are, sorted by created_at."""
    if storm.file is not None:
        return replay.load(storm.file, now, limits)
    limits = limits or mentions.Limits()
    out = [mentions.validate_one(rec, i, now, limits) for i, rec in enumerate(records(storm), 1)]
    out.sort(key=lambda m: m.created_at)
    return out
